import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

/** rpm-ostree metadata (package lists, NEVRAs) that is malformed or not what its key promises. */
export class PkglistError extends Data.TaggedError("PkglistError")<{
  readonly reason: Reason
  readonly detail: string
}> {
  override get message(): string {
    return `rpmostree pkglist: ${this.detail}`
  }
}
