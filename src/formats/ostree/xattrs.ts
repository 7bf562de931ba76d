/**
 * Extended attributes as ostree stores them: `a(ayay)`, each name a bytestring that includes its
 * trailing NUL, sorted by strcmp on the name (ostree-core.c _ostree_canonicalize_xattrs).
 */
import { invalid } from "./error.js"

export type Xattr = readonly [name: Uint8Array, value: Uint8Array]
export type Xattrs = ReadonlyArray<Xattr>

const encoder = new TextEncoder()

/** Builds an xattr entry from a plain name ("user.a") and value. */
export const xattr = (name: string, value: Uint8Array): Xattr => {
  const n = encoder.encode(name)
  const withNul = new Uint8Array(n.length + 1)
  withNul.set(n)
  return [withNul, value]
}

/** The name without its trailing NUL. */
export const xattrName = (x: Xattr): string => Buffer.from(x[0].subarray(0, x[0].length - 1)).toString("utf8")

/** Sorted by name bytes (strcmp order), the canonical order the checksum uses. */
export const canonicalXattrs = (xs: Xattrs): Xattrs =>
  xs.length < 2 ? xs : [...xs].sort((a, b) => Buffer.compare(a[0], b[0]))

export const validateXattrs = (xs: Xattrs): void => {
  let prev: Uint8Array | undefined
  for (const [name] of xs) {
    if (name.length < 2 || name[name.length - 1] !== 0 || name.subarray(0, -1).includes(0)) {
      throw invalid("xattrs", "xattr name must be a non-empty NUL-terminated string")
    }
    if (prev && Buffer.compare(prev, name) >= 0) throw invalid("xattrs", "xattr names not sorted or duplicated")
    prev = name
  }
}
