/**
 * Turning stored bytes back into an event: msgpack decode, envelope schema, then the payload
 * schema of the event's type and version from the registry. Every failure names the position.
 */
import * as Schema from "effect/Schema"
import { decodeRecord } from "./codec.js"
import { Envelope, type EventEnvelope } from "./envelope.js"
import { EventLogError } from "./error.js"
import type { Registry } from "./registry.js"

const decodeEnvelope = Schema.decodeUnknownSync(Envelope)

const oneLine = (e: unknown): string => String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, " ")

/** Decodes only the envelope (payload left as stored); for verification and raw dumps. */
export const decodeEnvelopeBytes = (bytes: Uint8Array, pos: number): EventEnvelope => {
  let raw: unknown
  try {
    raw = decodeRecord(bytes)
  } catch (e) {
    throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record is not valid MessagePack: ${oneLine(e)}`, pos })
  }
  try {
    return decodeEnvelope(raw) as EventEnvelope
  } catch (e) {
    throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record is not an event envelope: ${oneLine(e)}`, pos })
  }
}

/** Decodes a stored event fully: envelope, then payload validated (and upgraded) by the registry. */
export const decodeEventBytes = (bytes: Uint8Array, pos: number, registry: Registry): EventEnvelope => {
  const env = decodeEnvelopeBytes(bytes, pos)
  if (env.pos !== pos) {
    throw new EventLogError({ op: "read", reason: "Corrupt", detail: `record stored at pos ${pos} says pos ${env.pos}`, pos })
  }
  return { ...env, data: registry.decodeData(env.type, env.v, env.data, pos) }
}
