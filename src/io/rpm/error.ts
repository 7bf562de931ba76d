import { reasonOfErrno, type Reason } from "../../lib/error.js"
import { OpError } from "../../lib/op-error.js"

/**
 * A failed package, repository or rpmdb operation: `op` names the step ("verify", "unpack",
 * "repo load", …), `path` the file or URL involved.
 */
export class RpmError extends OpError("RpmError") {}

/**
 * Re-tags any failure as an RpmError for `op`/`path`: format errors keep their reason, system
 * errors map through their errno code, anything else is an internal bug and is rethrown.
 */
export const asRpmError = (e: unknown, op: string, path?: string): RpmError => {
  if (e instanceof RpmError) return e
  const x = e as { _tag?: string; reason?: Reason; message?: string; code?: string }
  if (x && typeof x._tag === "string" && x.reason) return new RpmError({ op, path, reason: x.reason, detail: x.message ?? String(e) })
  if (x && typeof x.code === "string" && x.code.startsWith("E")) return new RpmError({ op, path, reason: reasonOfErrno(x.code), detail: x.message ?? x.code })
  if (x && x.code === "Z_DATA_ERROR" || x?.code === "Z_BUF_ERROR" || x?.code === "LZMA_DATA_ERROR" || x?.code === "LZMA_FORMAT_ERROR")
    return new RpmError({ op, path, reason: "Corrupt", detail: `payload: ${x.message}` })
  throw e
}

/** Runs `f`, re-tagging its failures with `op` and `path`. */
export const tagged = async <A>(op: string, path: string | undefined, f: () => Promise<A>): Promise<A> => {
  try {
    return await f()
  } catch (e) {
    throw asRpmError(e, op, path)
  }
}
