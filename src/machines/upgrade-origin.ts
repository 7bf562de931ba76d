/**
 * The origin of an upgraded, rebased or version-deployed deployment (FORMATS.md 6.6), from the
 * merge deployment's: `refspec` (or rpm-ostree's `baserefspec`) set to the new refspec,
 * `override-commit` set by `deploy` and cleared by `upgrade`/`rebase` (rpm-ostree's semantics:
 * a deployed commit sticks until the next upgrade), transient state dropped.
 */
import { emptyKeyfile, getString, parseKeyfile, removeKey, serializeKeyfile, setString } from "../formats/keyfile.js"
import { originWithoutTransient } from "../io/sysroot/origin.js"
import { TransactionError } from "./runtime/error.js"

/** `remote:ref` → { remote, ref }; a bare ref is a local one (remote ""). */
export const parseRefspec = (refspec: string): { readonly remote: string; readonly ref: string } => {
  const i = refspec.indexOf(":")
  const remote = i < 0 ? "" : refspec.slice(0, i)
  const ref = i < 0 ? refspec : refspec.slice(i + 1)
  if (!ref) throw new TransactionError({ op: "refspec", reason: "Invalid", detail: `invalid refspec "${refspec}"` })
  return { remote, ref }
}

export const formatRefspec = (remote: string, ref: string): string => (remote ? `${remote}:${ref}` : ref)

/** The new origin text: `base` (the merge deployment's origin) pointed at `refspec`, with or without an override commit. */
export const updatedOrigin = (base: string, refspec: string, overrideCommit?: string): string => {
  let kf
  try {
    kf = base ? parseKeyfile(originWithoutTransient(base)) : emptyKeyfile()
  } catch (e) {
    throw new TransactionError({ op: "origin", reason: "Invalid", detail: `malformed origin: ${(e as Error).message}` })
  }
  const key = getString(kf, "origin", "baserefspec") !== undefined ? "baserefspec" : "refspec"
  setString(kf, "origin", key, refspec)
  if (overrideCommit) setString(kf, "origin", "override-commit", overrideCommit)
  else removeKey(kf, "origin", "override-commit")
  return serializeKeyfile(kf)
}

export const originOverrideCommit = (origin: string): string | undefined => {
  try {
    return origin ? getString(parseKeyfile(origin), "origin", "override-commit") : undefined
  } catch {
    return undefined
  }
}
