import * as Data from "effect/Data"
import { reasonOfErrno, type Reason } from "../../lib/error.js"

/** Any failure of the object store: `op` names the step chain ("commit: write dirtree"). */
export class RepoError extends Data.TaggedError("RepoError")<{
  readonly op: string
  readonly reason: Reason
  readonly detail: string
  readonly path?: string
}> {
  override get message(): string {
    return `${this.op}: ${this.detail}${this.path ? ` (${this.path})` : ""}`
  }
}

/** Wraps a Node fs error, naming the step and path; tagged errors pass through unchanged. */
export const fsError = (op: string, path: string, cause: unknown): RepoError => {
  if (cause instanceof RepoError) return cause
  const e = cause as NodeJS.ErrnoException
  return new RepoError({ op, path, reason: reasonOfErrno(e?.code), detail: e?.code ? `${e.syscall ?? "fs"}: ${e.code}` : String(e?.message ?? e) })
}
