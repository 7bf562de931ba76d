/**
 * The frame of every transaction stream (`txn-<ulid>`): one TransactionStarted, then step events,
 * then exactly one terminal event.
 */
import * as Schema from "effect/Schema"
import { defineEvent } from "../event-def.js"

/** The stream of one transaction. */
export const txnStream = (txnId: string): string => `txn-${txnId}`

/** Recorded before anything is touched: who asked for what. */
export const TransactionStarted = defineEvent("TransactionStarted", {
  kind: "intent",
  data: Schema.Struct({
    /** deploy, upgrade, rebase, rollback, … (the machine's name). */
    kind: Schema.String,
    argv: Schema.Array(Schema.String),
    user: Schema.String,
    pid: Schema.Number.check(Schema.isInt()),
  }),
})

export const TransactionCompleted = defineEvent("TransactionCompleted", {
  kind: "fact",
  terminal: true,
  data: Schema.Struct({}),
})

/** Undone cleanly; `undone` names what recovery removed (paths, temporary refs). */
export const TransactionAborted = defineEvent("TransactionAborted", {
  kind: "fact",
  terminal: true,
  data: Schema.Struct({ reason: Schema.String, undone: Schema.Array(Schema.String) }),
})

/** Aborted cleanly after an error the user must see. */
export const TransactionFailed = defineEvent("TransactionFailed", {
  kind: "fact",
  terminal: true,
  data: Schema.Struct({ error: Schema.String }),
})

export const transactionEvents = [TransactionStarted, TransactionCompleted, TransactionAborted, TransactionFailed]
