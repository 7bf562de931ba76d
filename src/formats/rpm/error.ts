import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

/**
 * Malformed or untrustworthy RPM data: a bad lead, header, cpio entry, digest or signature, or
 * an unsafe path. `what` names the structure ("header", "cpio", "payload digest", …).
 */
export class RpmFormatError extends Data.TaggedError("RpmFormatError")<{
  readonly what: string
  readonly detail: string
  readonly reason: Reason
}> {
  override get message(): string {
    return `rpm ${this.what}: ${this.detail}`
  }
}

export const corrupt = (what: string, detail: string): RpmFormatError => new RpmFormatError({ what, detail, reason: "Corrupt" })
export const unsupported = (what: string, detail: string): RpmFormatError => new RpmFormatError({ what, detail, reason: "Unsupported" })
