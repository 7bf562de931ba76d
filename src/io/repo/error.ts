import { reasonOfErrno } from "../../lib/error.js"
import { OpError } from "../../lib/op-error.js"

/** Any failure of the object store: `op` names the step chain ("commit: write dirtree"). */
export class RepoError extends OpError("RepoError", "suffix") {}

/** Wraps a Node fs error, naming the step and path; tagged errors pass through unchanged. */
export const fsError = (op: string, path: string, cause: unknown): RepoError => {
  if (cause instanceof RepoError) return cause
  const e = cause as NodeJS.ErrnoException
  return new RepoError({ op, path, reason: reasonOfErrno(e?.code), detail: e?.code ? `${e.syscall ?? "fs"}: ${e.code}` : String(e?.message ?? e) })
}
