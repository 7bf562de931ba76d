/**
 * The event log's errors. `EventLogError` covers I/O, corruption and bad input; the two others
 * are conditions callers branch on: an optimistic-concurrency conflict, and an event type this
 * build does not know (a log written by a newer strata, or a registry entry someone forgot).
 * All carry a `reason` from lib/error.ts, so the CLI maps them to exit codes.
 */
import * as Data from "effect/Data"
import { reasonOfErrno, type Reason } from "../lib/error.js"

/** Any failure of the event log: `op` names the step chain ("append: write batch"). */
export class EventLogError extends Data.TaggedError("EventLogError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  readonly path?: string
  readonly pos?: number
}> {
  override get message(): string {
    const at = this.pos !== undefined ? ` at pos ${this.pos}` : ""
    return `${this.op}: ${this.detail}${at}${this.path ? ` (${this.path})` : ""}`
  }
}

/**
 * The stream moved on since the caller read it. Reason "AlreadyExists": an event already
 * occupies the sequence number the caller meant to write.
 */
export class WrongExpectedVersion extends Data.TaggedError("WrongExpectedVersion")<{
  readonly stream: string
  readonly expected: number | "any"
  readonly actual: number
}> {
  readonly reason: Reason = "AlreadyExists"
  override get message(): string {
    return `append: stream ${this.stream} is at version ${this.actual}, expected ${this.expected}`
  }
}

/** An event whose type (or type version) is not in the registry. */
export class UnknownEventType extends Data.TaggedError("UnknownEventType")<{
  readonly type: string
  readonly v?: number
  readonly pos?: number
}> {
  readonly reason: Reason = "Unsupported"
  override get message(): string {
    const what = this.v === undefined ? `unknown event type "${this.type}"` : `unsupported version ${this.v} of event type "${this.type}"`
    return `event log: ${what}${this.pos !== undefined ? ` at pos ${this.pos}` : ""} (written by a newer strata, or missing from src/events/catalog.ts)`
  }
}

export type AnyEventLogError = EventLogError | WrongExpectedVersion | UnknownEventType

export const isEventLogFailure = (e: unknown): e is AnyEventLogError =>
  e instanceof EventLogError || e instanceof WrongExpectedVersion || e instanceof UnknownEventType

/**
 * Wraps a thrown value from LevelDB or fs into an EventLogError naming the step; the log's own
 * errors pass through unchanged. LevelDB reports a held LOCK as LEVEL_LOCKED inside the cause.
 */
export const storageError = (op: string, path: string | undefined, cause: unknown): AnyEventLogError => {
  if (isEventLogFailure(cause)) return cause
  const e = cause as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const inner = e?.cause?.code ?? e?.code
  const reason: Reason = inner === "LEVEL_LOCKED" ? "Locked" : inner?.startsWith("LEVEL_") ? "Io" : reasonOfErrno(inner)
  const detail = inner === "LEVEL_LOCKED" ? "the event log is in use by another process" : (e?.cause?.message ?? e?.message ?? String(cause))
  return new EventLogError({ op, reason, detail, ...(path !== undefined ? { path } : {}) })
}
