/**
 * Turning stored bytes back into an event: msgpack decode, envelope schema, then the payload
 * schema of the event's type and version from the registry. Every failure names the position.
 */
import { decodeRecord } from "./codec.js"
import type { EventEnvelope } from "./envelope.js"
import { envelopeOf, envelopeProblem } from "./envelope-check.js"
import { EventLogError } from "./error.js"
import { withLazySnapshot, locateSnapshot, withoutRange } from "./snapshot-lazy.js"
import type { Registry } from "./registry.js"

const oneLine = (e: unknown): string => String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, " ")

const decodeRaw = (bytes: Uint8Array, pos: number): EventEnvelope => {
  let raw: unknown
  try {
    raw = decodeRecord(bytes)
  } catch (e) {
    throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record is not valid MessagePack: ${oneLine(e)}`, pos })
  }
  const problem = envelopeProblem(raw)
  if (problem !== undefined) throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record is not an event envelope: ${problem}`, pos })
  // Valid, but may hold more keys than an envelope: only envelopeOf's copy leaves the reader.
  return raw as EventEnvelope
}

/** Decodes only the envelope (payload left as stored); for verification and raw dumps. */
export const decodeEnvelopeBytes = (bytes: Uint8Array, pos: number): EventEnvelope => {
  const raw = decodeRaw(bytes, pos)
  return envelopeOf(raw, raw.type, raw.data)
}

/**
 * Decodes a stored event: envelope, then payload validated (and upgraded) by the registry. A step
 * event of the current version gets its machine snapshot decoded on first access
 * (snapshot-lazy.ts); `decodeEventBytesEager` decodes everything at once. The event is built
 * once, from the record as msgpackr made it, and its `type` is the registry's own string: an
 * interned constant, so the projections' `type ===` tests and lookups compare pointers instead of
 * the characters of a fresh string per event.
 */
export const decodeEventBytes = (bytes: Uint8Array, pos: number, registry: Registry): EventEnvelope => {
  const range = locateSnapshot(bytes)
  if (!range) return decodeEventBytesEager(bytes, pos, registry)
  const raw = decodeRaw(withoutRange(bytes, range), pos)
  const def = registry.get(raw.type)
  // Only where the schema says `snapshot: Unknown` (step events, current version) is nil as
  // good as the real value for validation.
  if (!def?.step || def.v !== raw.v || raw.pos !== pos) return decodeEventBytesEager(bytes, pos, registry)
  const data = registry.decodeData(def.type, raw.v, raw.data, pos)
  if (data === null || typeof data !== "object" || !Object.prototype.hasOwnProperty.call(data, "snapshot") || (data as { snapshot?: unknown }).snapshot !== null) {
    return decodeEventBytesEager(bytes, pos, registry)
  }
  return envelopeOf(raw, def.type, withLazySnapshot(data, bytes, range, pos))
}

/** Decodes a stored event fully, the snapshot included. */
export const decodeEventBytesEager = (bytes: Uint8Array, pos: number, registry: Registry): EventEnvelope => {
  const raw = decodeRaw(bytes, pos)
  if (raw.pos !== pos) {
    throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record stored at pos ${pos} says pos ${raw.pos}`, pos })
  }
  const data = registry.decodeData(raw.type, raw.v, raw.data, pos)
  return envelopeOf(raw, registry.get(raw.type)?.type ?? raw.type, data)
}
