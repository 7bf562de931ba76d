/**
 * The error every user-facing failure becomes. One tagged class per module (RepoError,
 * GVariantError, …) extends this shape: an operation name, an optional path, a reason from a
 * small closed set, and a human detail. The CLI prints `strata: <op>: <detail>` and exits with
 * the reason's code.
 */
export type Reason =
  | "NotFound"
  | "AlreadyExists"
  | "Corrupt"
  | "Invalid"
  | "PermissionDenied"
  | "NoSpace"
  | "Locked"
  | "Unsupported"
  | "Io"
  /** A remote could not be reached or answered with an error (HTTP status, timeout, reset). */
  | "Network"
  /** A signature is missing, invalid or from an untrusted or revoked key. */
  | "Untrusted"
  /** A package scriptlet (%pre, %post, a trigger…) exited non-zero, was killed, or timed out. */
  | "ScriptFailed"

/** Distinct exit codes per reason, so scripts can tell a missing ref from a corrupt object. */
export const exitCodeFor: Record<Reason, number> = {
  Invalid: 2,
  NotFound: 3,
  Corrupt: 4,
  AlreadyExists: 5,
  Locked: 6,
  PermissionDenied: 7,
  NoSpace: 8,
  Unsupported: 9,
  Io: 10,
  Network: 11,
  Untrusted: 12,
  ScriptFailed: 13,
}

/** Maps a Node system error code to a Reason. */
export const reasonOfErrno = (code: unknown): Reason => {
  switch (code) {
    case "ENOENT": case "ENOTDIR": return "NotFound"
    case "EEXIST": case "ENOTEMPTY": return "AlreadyExists"
    case "EACCES": case "EPERM": case "EROFS": return "PermissionDenied"
    case "ENOSPC": case "EDQUOT": return "NoSpace"
    case "EWOULDBLOCK": case "EAGAIN": return "Locked"
    default: return "Io"
  }
}
