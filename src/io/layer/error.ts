import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

/**
 * A failed layering step: `op` names it ("resolve", "fetch", "apply", "commit", …); `detail`
 * names the packages involved, so one line tells the user what to change.
 */
export class LayerError extends Data.TaggedError("LayerError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  readonly path?: string
}> {
  override get message(): string {
    return `${this.op}${this.path ? ` ${this.path}` : ""}: ${this.detail}`
  }
}
