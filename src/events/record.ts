/**
 * Turning stored bytes back into an event: msgpack decode, envelope schema, then the payload
 * schema of the event's type and version from the registry. Every failure names the position.
 */
import { decodeRecord } from "./codec.js"
import type { EventEnvelope } from "./envelope.js"
import { checkEnvelope } from "./envelope-check.js"
import { EventLogError } from "./error.js"
import { withLazySnapshot, locateSnapshot, withoutRange } from "./snapshot-lazy.js"
import type { Registry } from "./registry.js"

const oneLine = (e: unknown): string => String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, " ")

/** Decodes only the envelope (payload left as stored); for verification and raw dumps. */
export const decodeEnvelopeBytes = (bytes: Uint8Array, pos: number): EventEnvelope => {
  let raw: unknown
  try {
    raw = decodeRecord(bytes)
  } catch (e) {
    throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record is not valid MessagePack: ${oneLine(e)}`, pos })
  }
  const env = checkEnvelope(raw)
  if (typeof env === "string") throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record is not an event envelope: ${env}`, pos })
  return env
}

/**
 * Decodes a stored event: envelope, then payload validated (and upgraded) by the registry. A step
 * event of the current version gets its machine snapshot decoded on first access
 * (snapshot-lazy.ts); `decodeEventBytesEager` decodes everything at once.
 */
export const decodeEventBytes = (bytes: Uint8Array, pos: number, registry: Registry): EventEnvelope => {
  const range = locateSnapshot(bytes)
  if (!range) return decodeEventBytesEager(bytes, pos, registry)
  const env = decodeEnvelopeBytes(withoutRange(bytes, range), pos)
  const def = registry.get(env.type)
  // Only where the schema says `snapshot: Unknown` (step events, current version) is nil as
  // good as the real value for validation.
  if (!def?.step || def.v !== env.v || env.pos !== pos) return decodeEventBytesEager(bytes, pos, registry)
  const data = registry.decodeData(env.type, env.v, env.data, pos)
  if (data === null || typeof data !== "object" || !Object.prototype.hasOwnProperty.call(data, "snapshot") || (data as { snapshot?: unknown }).snapshot !== null) {
    return decodeEventBytesEager(bytes, pos, registry)
  }
  return { ...env, data: withLazySnapshot(data, bytes, range, pos) }
}

/** Decodes a stored event fully, the snapshot included. */
export const decodeEventBytesEager = (bytes: Uint8Array, pos: number, registry: Registry): EventEnvelope => {
  const env = decodeEnvelopeBytes(bytes, pos)
  if (env.pos !== pos) {
    throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record stored at pos ${pos} says pos ${env.pos}`, pos })
  }
  return { ...env, data: registry.decodeData(env.type, env.v, env.data, pos) }
}
