/**
 * The envelope check of every read, by hand: the same rules as the `Envelope` schema
 * (envelope.ts) — excess keys dropped, `txn` optional but a string when present, `data` required
 * (any value), `v`/`seq`/`pos` safe integers >= 1, `prev` 64 lowercase hex digits — and messages
 * in the schema's words, at a tenth of its cost (the schema walk was ~0.3 s of a 100k-event
 * replay). test/events/envelope-check.test.ts holds the two to the same answers.
 */
import type { EventEnvelope } from "./envelope.js"

const HEX64 = /^[0-9a-f]{64}$/

const position = (x: unknown, key: string): string | undefined =>
  typeof x !== "number"
    ? `Expected number at ["${key}"]`
    : !Number.isSafeInteger(x)
      ? `Expected an integer at ["${key}"]`
      : x < 1
        ? `Expected a value greater than or equal to 1 at ["${key}"]`
        : undefined

const text = (x: unknown, key: string): string | undefined => (typeof x === "string" ? undefined : `Expected string at ["${key}"]`)

const has = Object.prototype.hasOwnProperty

/** The first problem of a decoded record as an envelope (a message), or undefined if it is one. */
export const envelopeProblem = (raw: unknown): string | undefined => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return "Expected object"
  const r = raw as Record<string, unknown>
  for (const key of ["type", "v", "stream", "seq", "pos", "at", "data", "prev"]) if (!has.call(r, key)) return `Missing key at ["${key}"]`
  return (
    text(r.type, "type") ??
    position(r.v, "v") ??
    text(r.stream, "stream") ??
    position(r.seq, "seq") ??
    position(r.pos, "pos") ??
    text(r.at, "at") ??
    (has.call(r, "txn") ? text(r.txn, "txn") : undefined) ??
    (typeof r.prev !== "string" ? `Expected string at ["prev"]` : !HEX64.test(r.prev) ? `Expected a string matching the RegExp ^[0-9a-f]{64}$ at ["prev"]` : undefined)
  )
}

/**
 * The envelope of a record `envelopeProblem` accepted, with exactly its own fields (in the
 * schema's order), `type` and `data` as given: the one object a read makes per event.
 */
export const envelopeOf = (raw: unknown, type: string, data: unknown): EventEnvelope => {
  const r = raw as EventEnvelope
  return has.call(r, "txn")
    ? { type, v: r.v, stream: r.stream, seq: r.seq, pos: r.pos, at: r.at, txn: r.txn as string, data, prev: r.prev }
    : { type, v: r.v, stream: r.stream, seq: r.seq, pos: r.pos, at: r.at, data, prev: r.prev }
}

/** The envelope with exactly its own fields, or the first problem (a message) as a string. */
export const checkEnvelope = (raw: unknown): EventEnvelope | string => {
  const problem = envelopeProblem(raw)
  return problem !== undefined ? problem : envelopeOf(raw, (raw as EventEnvelope).type, (raw as EventEnvelope).data)
}
