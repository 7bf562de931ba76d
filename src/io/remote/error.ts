import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

/**
 * Any failure of remotes, pulls, signatures or static deltas. `op` names the step chain
 * ("pull: fetch objects/ab/….filez"); `url` the resource when one was being fetched.
 */
export class RemoteError extends Data.TaggedError("RemoteError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  readonly url?: string
  readonly path?: string
}> {
  override get message(): string {
    const where = this.url ?? this.path
    return `${this.op}: ${this.detail}${where ? ` (${where})` : ""}`
  }
}
