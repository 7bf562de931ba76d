/**
 * A JSON-safe view of events for `--json` output: bigint becomes a decimal string (no precision
 * loss past 2^53), bytes become lowercase hex, Dates become ISO strings.
 */
export const toJsonValue = (x: unknown): unknown => {
  if (typeof x === "bigint") return x.toString()
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString("hex")
  if (x instanceof Date) return x.toISOString()
  if (Array.isArray(x)) return x.map(toJsonValue)
  if (x !== null && typeof x === "object") {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = toJsonValue(v)
    return out
  }
  return x
}
