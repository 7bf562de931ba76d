import * as Data from "effect/Data"
import type { Reason } from "../lib/error.js"

/**
 * A request the solver cannot act on — a spec nothing matches, a damaged pool snapshot — as
 * opposed to an unsolvable one, which is an answer (SolveResult.problems), not an error.
 */
export class SolverError extends Data.TaggedError("SolverError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  readonly path?: string
}> {
  override get message(): string {
    return `${this.op}${this.path ? ` ${this.path}` : ""}: ${this.detail}`
  }
}
