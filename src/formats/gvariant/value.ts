/**
 * The JavaScript shape of GVariant values:
 *   y n q i u h d → number · b → boolean · x t → bigint · s o g → string
 *   ay → Uint8Array · a* → Array · m* → value | null · (…) and {kv} → Array of members
 *   v → Variant
 * Integers are taken in host order (little-endian); fields that ostree stores big-endian are
 * swapped by the object codecs with `bswap32`/`bswap64`, exactly where ostree swaps them.
 */
export interface Variant {
  readonly type: string
  readonly value: unknown
}

export const variant = (type: string, value: unknown): Variant => ({ type, value })

export const isVariant = (v: unknown): v is Variant =>
  typeof v === "object" && v !== null && typeof (v as Variant).type === "string" && "value" in v

/** An `a{sv}` dictionary as GVariant keeps it: entries in serialised order. */
export type VarDict = ReadonlyArray<readonly [string, Variant]>

/** Looks a key up in an `a{sv}`; key order is not canonical, so readers always look up by name. */
export const lookup = (dict: VarDict, key: string): Variant | undefined => {
  for (const [k, v] of dict) if (k === key) return v
  return undefined
}

export const bswap32 = (n: number): number =>
  (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | ((n >>> 24) & 0xff)) >>> 0

export const bswap64 = (n: bigint): bigint => {
  let out = 0n
  let v = BigInt.asUintN(64, n)
  for (let i = 0; i < 8; i++) {
    out = (out << 8n) | (v & 0xffn)
    v >>= 8n
  }
  return out
}
