import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

/**
 * A compose that cannot go on: `op` names the step ("compose resolve", "compose download",
 * "compose postprocess", …), the message is one line for the CLI.
 */
export class ComposeError extends Data.TaggedError("ComposeError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  readonly path?: string
}> {
  override get message(): string {
    return `${this.op}${this.path ? ` ${this.path}` : ""}: ${this.detail}`
  }
}

export const composeError = (op: string, reason: Reason, detail: string, path?: string): ComposeError =>
  new ComposeError({ op, reason, detail, ...(path !== undefined ? { path } : {}) })
