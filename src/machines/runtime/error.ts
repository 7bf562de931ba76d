/**
 * The transaction runtime's one error. `op` names the step chain ("lock sysroot",
 * "recover 01J…: undo DeployRequested"), `reason` picks the exit code (src/lib/error.ts):
 * a sysroot held by another transaction past the wait is `Locked` (exit 6).
 */
import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

export class TransactionError extends Data.TaggedError("TransactionError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  readonly path?: string
  readonly txn?: string
}> {
  override get message(): string {
    return `${this.op}: ${this.detail}${this.txn ? ` (transaction ${this.txn})` : ""}${this.path ? ` (${this.path})` : ""}`
  }
}

/** The message of anything thrown, on one line (for TransactionFailed.error and details). */
export const messageOf = (e: unknown): string => String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, " ")
