/**
 * Content objects: the checksummed header `(uuuusa(ayay))` (uid, gid, mode, rdev, symlink target,
 * xattrs — no size), the archive `.filez` header `(tuuuusa(ayay))` that adds the uncompressed
 * size, and bare-user's `user.ostreemeta` xattr `(uuua(ayay))`. All integers big-endian
 * (ostree-core.c _ostree_file_header_new, _ostree_zlib_file_header_new; FORMATS.md §2.4).
 */
import { createHash, type Hash } from "node:crypto"
import { bswap32, bswap64, parse, serialize } from "../gvariant/index.js"
import type { Checksum } from "./checksum.js"
import { S_IFLNK, S_IFMT, S_IFREG } from "./dirmeta.js"
import { invalid } from "./error.js"
import { canonicalXattrs, validateXattrs, type Xattrs } from "./xattrs.js"

export const FILE_HEADER_TYPE = "(uuuusa(ayay))"
export const FILEZ_HEADER_TYPE = "(tuuuusa(ayay))"
export const BARE_USER_META_TYPE = "(uuua(ayay))"

export interface FileMeta {
  readonly uid: number
  readonly gid: number
  /** Includes the S_IFMT bits: only regular files and symlinks are content. */
  readonly mode: number
  /** "" for regular files. */
  readonly symlinkTarget: string
  readonly xattrs: Xattrs
}

export const isSymlink = (m: Pick<FileMeta, "mode">): boolean => (m.mode & S_IFMT) === S_IFLNK

export const validateFileMode = (mode: number): void => {
  const fmt = mode & S_IFMT
  if (fmt !== S_IFREG && fmt !== S_IFLNK) throw invalid("file", `mode ${mode.toString(8)} is not a regular file or symlink`)
  if ((mode & ~(S_IFMT | 0o7777)) !== 0) throw invalid("file", `mode ${mode.toString(8)} has invalid bits`)
}

/** 4-byte big-endian length, 4 zero bytes, then the variant: how ostree frames headers. */
const lengthPrefixed = (v: Uint8Array): Uint8Array => {
  const out = new Uint8Array(8 + v.length)
  new DataView(out.buffer).setUint32(0, v.length, false)
  out.set(v, 8)
  return out
}

/** The framed header that starts every content checksum. */
export const fileHeaderBytes = (m: FileMeta): Uint8Array =>
  lengthPrefixed(
    serialize(FILE_HEADER_TYPE, [bswap32(m.uid), bswap32(m.gid), bswap32(m.mode), 0, m.symlinkTarget, canonicalXattrs(m.xattrs)]),
  )

/** A running content checksum: feed the file's bytes with `update`, then `digest`. */
export const contentHasher = (m: FileMeta): Hash => createHash("sha256").update(fileHeaderBytes(m))

/** Checksum of a content object whose whole payload is in memory. */
export const fileChecksum = (m: FileMeta, content?: Uint8Array): Checksum => {
  const h = contentHasher(m)
  if (content && !isSymlink(m)) h.update(content)
  return h.digest("hex")
}

/** The `.filez` header (length-framed), to be followed by the raw-DEFLATE content. */
export const filezHeaderBytes = (m: FileMeta, size: bigint): Uint8Array =>
  lengthPrefixed(
    serialize(FILEZ_HEADER_TYPE, [
      bswap64(isSymlink(m) ? 0n : size),
      bswap32(m.uid), bswap32(m.gid), bswap32(m.mode), 0, m.symlinkTarget, m.xattrs,
    ]),
  )

export interface FilezHeader {
  readonly meta: FileMeta
  readonly size: bigint
  /** Offset of the compressed payload in the object. */
  readonly payloadOffset: number
}

/** Parses the framed header at the start of a `.filez` (or a content stream's header). */
export const parseFilezHeader = (bytes: Uint8Array): FilezHeader => {
  if (bytes.length < 8) throw invalid("filez", "truncated header")
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = dv.getUint32(0, false)
  if (dv.getUint32(4, false) !== 0 || 8 + n > bytes.length) throw invalid("filez", "bad header length")
  let v: [bigint, number, number, number, number, string, Xattrs]
  try {
    v = parse(FILEZ_HEADER_TYPE, bytes.subarray(8, 8 + n)) as typeof v
  } catch (e) {
    throw invalid("filez", (e as Error).message)
  }
  const mode = bswap32(v[3])
  validateFileMode(mode)
  if (v[4] !== 0) throw invalid("filez", "rdev must be 0")
  const meta = { uid: bswap32(v[1]), gid: bswap32(v[2]), mode, symlinkTarget: v[5], xattrs: canonicalXattrs(v[6]) }
  if (isSymlink(meta) !== (meta.symlinkTarget !== "")) throw invalid("filez", "symlink target does not match the mode")
  validateXattrs(meta.xattrs)
  return { meta, size: bswap64(v[0]), payloadOffset: 8 + n }
}

/** bare-user's `user.ostreemeta` value: the real uid, gid, mode and xattrs of the object. */
export const serializeBareUserMeta = (m: FileMeta): Uint8Array =>
  serialize(BARE_USER_META_TYPE, [bswap32(m.uid), bswap32(m.gid), bswap32(m.mode), canonicalXattrs(m.xattrs)])

export const parseBareUserMeta = (bytes: Uint8Array): Omit<FileMeta, "symlinkTarget"> => {
  let v: [number, number, number, Xattrs]
  try {
    v = parse(BARE_USER_META_TYPE, bytes) as typeof v
  } catch (e) {
    throw invalid("user.ostreemeta", (e as Error).message)
  }
  const mode = bswap32(v[2])
  validateFileMode(mode)
  return { uid: bswap32(v[0]), gid: bswap32(v[1]), mode, xattrs: v[3] }
}
