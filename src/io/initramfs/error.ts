import * as Data from "effect/Data"
import type { Reason } from "../../lib/error.js"

/** Regenerating an initramfs failed: no dracut in the tree, no kernel, dracut failed, a tracked /etc file is unusable. */
export class InitramfsError extends Data.TaggedError("InitramfsError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  /** dracut's output (tail-capped), when it ran. */
  readonly output?: string
}> {
  override get message(): string {
    return `${this.op}: ${this.detail}`
  }
}
