/** Ref and refspec syntax (ostree-core.c ostree_validate_rev, ostree_parse_refspec). */
import { invalid } from "./error.js"

const FRAGMENT = /^[\w\d][-._\w\d]*$/
const REMOTE = /^[\w\d][-._\w\d]*$/

export const isValidRef = (ref: string): boolean =>
  ref.length > 0 && ref.split("/").every((f) => FRAGMENT.test(f))

export const validateRef = (ref: string): void => {
  if (!isValidRef(ref)) throw invalid("ref", `"${ref}" is not a valid ref name`)
}

export interface Refspec { readonly remote: string | null; readonly ref: string }

/** `[remote:]ref`. */
export const parseRefspec = (spec: string): Refspec => {
  const colon = spec.indexOf(":")
  const remote = colon >= 0 ? spec.slice(0, colon) : null
  const ref = colon >= 0 ? spec.slice(colon + 1) : spec
  if (remote !== null && !REMOTE.test(remote)) throw invalid("refspec", `"${spec}" has an invalid remote name`)
  validateRef(ref)
  return { remote, ref }
}

export const formatRefspec = (r: Refspec): string => (r.remote ? `${r.remote}:${r.ref}` : r.ref)
