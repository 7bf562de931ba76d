/**
 * Dirtree objects `(a(say)a(sayay))`: files (name, content checksum) and subdirectories
 * (name, dirtree checksum, dirmeta checksum), each list sorted by strcmp on the UTF-8 name.
 * Names are validated on parse: a hostile tree must never name `..` or contain `/`.
 */
import { parse, serialize } from "../gvariant/index.js"
import { fromBytes, toBytes, type Checksum } from "./checksum.js"
import { invalid } from "./error.js"
import { scanDirtree } from "./dirtree-scan.js"

export const DIRTREE_TYPE = "(a(say)a(sayay))"

export interface DirtreeFile { readonly name: string; readonly checksum: Checksum }
export interface DirtreeDir { readonly name: string; readonly tree: Checksum; readonly meta: Checksum }
export interface Dirtree {
  readonly files: ReadonlyArray<DirtreeFile>
  readonly dirs: ReadonlyArray<DirtreeDir>
}

/** ostree's filename rule (ot_util_filename_validate): non-empty, not . or .., no '/'. */
export const validateFilename = (name: string): void => {
  if (name.length === 0) throw invalid("dirtree", "empty filename")
  if (name === "." || name === "..") throw invalid("dirtree", `forbidden filename "${name}"`)
  if (name.includes("/")) throw invalid("dirtree", `filename "${name}" contains "/"`)
  if (name.includes("\0")) throw invalid("dirtree", "filename contains NUL")
}

/**
 * strcmp on the UTF-8 bytes. Below U+D800, UTF-16 code unit order is code point order is UTF-8
 * byte order, so names are compared unit by unit without encoding them (this runs for every
 * entry of every dirtree parsed); only a difference at a surrogate or above falls back to bytes.
 */
const utf8Compare = (a: string, b: string): number => {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    if (x < 0xd800 && y < 0xd800) return x - y
    return Buffer.compare(Buffer.from(a), Buffer.from(b))
  }
  return a.length - b.length
}

const byName = <T extends { name: string }>(a: T, b: T): number => utf8Compare(a.name, b.name)

/** Sorts both lists (a copy) into canonical order. */
export const canonicalDirtree = (t: Dirtree): Dirtree => ({
  files: [...t.files].sort(byName),
  dirs: [...t.dirs].sort(byName),
})

export const serializeDirtree = (t: Dirtree): Uint8Array =>
  serialize(DIRTREE_TYPE, [
    t.files.map((f) => [f.name, toBytes(f.checksum)]),
    t.dirs.map((d) => [d.name, toBytes(d.tree), toBytes(d.meta)]),
  ])

export const parseDirtree = (bytes: Uint8Array): Dirtree => checked(scanDirtree(bytes) ?? readGeneric(bytes))

/** parseDirtree through the generic GVariant parser only: the reference the direct reader is tested against. */
export const parseDirtreeGeneric = (bytes: Uint8Array): Dirtree => checked(readGeneric(bytes))

const checked = (t: Dirtree): Dirtree => {
  for (const f of t.files) validateFilename(f.name)
  for (const d of t.dirs) validateFilename(d.name)
  checkSorted(t.files)
  checkSorted(t.dirs)
  return t
}

/** The generic path also names a framing error, so the direct reader falls back to it. */
const readGeneric = (bytes: Uint8Array): Dirtree => {
  let v: [Array<[string, Uint8Array]>, Array<[string, Uint8Array, Uint8Array]>]
  try {
    v = parse(DIRTREE_TYPE, bytes) as typeof v
  } catch (e) {
    throw invalid("dirtree", (e as Error).message)
  }
  const files = v[0].map(([name, c]) => {
    validateFilename(name)
    return { name, checksum: fromBytes(c, "dirtree file checksum") }
  })
  const dirs = v[1].map(([name, t, m]) => {
    validateFilename(name)
    return { name, tree: fromBytes(t, "dirtree subdir checksum"), meta: fromBytes(m, "dirmeta checksum") }
  })
  return { files, dirs }
}

const checkSorted = (xs: ReadonlyArray<{ name: string }>): void => {
  for (let i = 1; i < xs.length; i++) {
    if (byName(xs[i - 1]!, xs[i]!) >= 0) throw invalid("dirtree", `entries not sorted or duplicated at "${xs[i]!.name}"`)
  }
}
