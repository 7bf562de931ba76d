import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

/** An OSTree object that is malformed or violates ostree's structural rules. */
export class OstreeFormatError extends Data.TaggedError("OstreeFormatError")<{
  readonly what: string
  readonly detail: string
  readonly reason: Reason
}> {
  override get message(): string {
    return `invalid ${this.what}: ${this.detail}`
  }
}

export const invalid = (what: string, detail: string): OstreeFormatError =>
  new OstreeFormatError({ what, detail, reason: "Corrupt" })
