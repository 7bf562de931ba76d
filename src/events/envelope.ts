/**
 * The envelope every stored event has. It is validated on read (after msgpackr decoding) and
 * built by the store on write; the `data` inside is validated separately against the schema the
 * registry holds for `type`@`v`.
 *
 * Numbering: `pos` (global) and `seq` (per stream) both start at 1, so a stream's version is the
 * seq of its last event and 0 means "no events yet". `prev` is the SHA-256 (hex) of the stored
 * bytes of the event at `pos - 1`, or GENESIS for pos 1.
 */
import * as Schema from "effect/Schema"

const Hex64 = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))
const Position = Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1))

export const Envelope = Schema.Struct({
  type: Schema.String,
  v: Position,
  stream: Schema.String,
  seq: Position,
  pos: Position,
  at: Schema.String,
  txn: Schema.optionalKey(Schema.String),
  data: Schema.Unknown,
  prev: Hex64,
})

/** A stored event. `Data` is the decoded payload of the registry's current version. */
export interface EventEnvelope<Type extends string = string, Data = unknown> {
  readonly type: Type
  readonly v: number
  readonly stream: string
  readonly seq: number
  readonly pos: number
  readonly at: string
  readonly txn?: string
  readonly data: Data
  readonly prev: string
}

/** What a caller appends; the store adds v, stream, seq, pos, at and prev. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  readonly type: Type
  readonly data: Data
  readonly txn?: string
}

/** The log's head: the last event's position and the hash of its stored bytes. */
export interface Head {
  readonly pos: number
  readonly hash: string
}

/** `prev` of the first event, and the hash of the empty log's head. */
export const GENESIS = "0".repeat(64)

export const emptyHead: Head = { pos: 0, hash: GENESIS }

/** `any` skips the check; a number must equal the stream's current version (0 = new stream). */
export type ExpectedVersion = number | "any"
