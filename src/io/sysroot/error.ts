/**
 * The one error of the sysroot layer. `op` names the step chain ("deploy: /etc merge: copy"),
 * `reason` picks the exit code (src/lib/error.ts), and `code` lets the transaction runtime tell
 * apart the failures it reacts to differently (a missing kernel vs a full /boot) without parsing
 * messages.
 */
import * as Data from "effect/Data"
import { reasonOfErrno, type Reason } from "../../lib/error.js"

export type SysrootErrorCode =
  | "NoKernel"
  | "EtcConflict"
  | "NoSpace"
  | "BadState"
  | "NotInitialized"
  | "BootedDeployment"
  | "InvalidKarg"

export class SysrootError extends Data.TaggedError("SysrootError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  readonly path?: string
  readonly code?: SysrootErrorCode
}> {
  override get message(): string {
    return `${this.op}: ${this.detail}${this.path ? ` (${this.path})` : ""}`
  }
}

/**
 * Wraps a Node fs error, naming the step and path. Tagged errors (ours or the repo's) pass
 * through unchanged so the innermost step keeps its name.
 */
export const sysFsError = (op: string, path: string, cause: unknown): Error => {
  if (cause instanceof Error && "_tag" in cause) return cause
  const e = cause as NodeJS.ErrnoException
  return new SysrootError({
    op,
    path,
    reason: reasonOfErrno(e?.code),
    detail: e?.code ? `${e.syscall ?? "fs"}: ${e.code}` : String(e?.message ?? e),
  })
}
