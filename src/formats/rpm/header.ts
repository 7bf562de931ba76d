/**
 * The RPM header structure (used for both the signature header and the main header): an 8-byte
 * magic, the index length `il` and data length `dl` (big-endian u32), `il` 16-byte index entries
 * (tag, type, offset, count) and `dl` bytes of data. Pure: bytes in, values out.
 *
 * Validation follows rpm's `hdrblobVerifyInfo`/`hdrblobVerifyRegion`, so a header strata accepts
 * is one rpm accepts: known tags carry their declared type, offsets are aligned, in range and
 * non-overlapping, strings are NUL-terminated inside the data, and a region tag (the first entry)
 * has a trailer whose negative offset covers exactly the region's entries.
 */
import { corrupt } from "./error.js"
import {
  BIN, CHAR, HEADERI18NTABLE, HEADERIMAGE, HEADERIMMUTABLE, HEADERSIGNATURES, I18NSTRING, INT16, INT32, INT64, INT8,
  STRING, STRING_ARRAY, typeAllowed, type TagType,
} from "./tags.js"

export const HEADER_MAGIC = Uint8Array.of(0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0)

export interface HeaderEntry {
  readonly tag: number
  readonly type: TagType
  /** Offset of the value in the data store. */
  readonly offset: number
  readonly count: number
  /** Byte length of the value (computed while validating). */
  readonly length: number
}

export interface Region {
  /** HEADERIMMUTABLE for a main header, HEADERSIGNATURES for a signature header. */
  readonly tag: number
  /** Entries in the region, the region entry included. */
  readonly ril: number
  /** Data bytes in the region, its 16-byte trailer included. */
  readonly rdl: number
}

export interface Header {
  /** Entries in index order, the region entry excluded. */
  readonly entries: ReadonlyArray<HeaderEntry>
  readonly byTag: ReadonlyMap<number, HeaderEntry>
  readonly data: Buffer
  readonly region: Region | undefined
  /** `il`, `dl`, index and data — what rpm stores in the rpmdb (no magic). */
  readonly blob: Buffer
}

export interface ParseHeaderOptions {
  readonly offset?: number
  /** Whether the 8-byte magic precedes il/dl (package files: yes; rpmdb blobs: no). */
  readonly magic?: boolean
  /** HEADERSIGNATURES for a signature header (smaller limits, no tag typecheck). */
  readonly regionTag?: number
  /** In package files the region must span the whole header (rpm's `exact_size`). */
  readonly exact?: boolean
}

const typeSize = [0, 1, 1, 2, 4, 8, -1, 1, -1, -1]
const typeAlign = [1, 1, 1, 2, 4, 8, 1, 1, 1, 1]
const ARRAY_MAX = 0x000fffff

/** Bytes of the whole header starting at `offset`, once its first 16 bytes are available. */
export const headerLength = (bytes: Uint8Array, { offset = 0, magic = true } = {}): number | undefined => {
  const start = offset + (magic ? 8 : 0)
  if (bytes.length < start + 8) return undefined
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return (magic ? 8 : 0) + 8 + dv.getUint32(start) * 16 + dv.getUint32(start + 4)
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength))

/** Parses and validates one header; `end` is the offset just past it (before any padding). */
export const parseHeader = (input: Uint8Array, opts: ParseHeaderOptions = {}): { header: Header; end: number } => {
  const { offset = 0, magic = true, regionTag = HEADERIMMUTABLE, exact = true } = opts
  const bytes = asBuffer(input)
  const what = regionTag === HEADERSIGNATURES ? "signature header" : "header"
  let p = offset
  if (magic) {
    if (bytes.length < p + 8) throw corrupt(what, `truncated: ${bytes.length - p} bytes, need at least 16`)
    if (!bytes.subarray(p, p + 8).equals(HEADER_MAGIC)) throw corrupt(what, "bad magic")
    p += 8
  }
  if (bytes.length < p + 8) throw corrupt(what, "truncated before the index")
  const il = bytes.readUInt32BE(p)
  const dl = bytes.readUInt32BE(p + 4)
  const [ilMax, dlMax] = regionTag === HEADERSIGNATURES ? [32, 64 * 1024 * 1024] : [0xffff, 0x0fffffff]
  if (il > ilMax) throw corrupt(what, `${il} index entries is out of range (max ${ilMax})`)
  if (dl > dlMax) throw corrupt(what, `${dl} data bytes is out of range (max ${dlMax})`)
  if (il < 1) throw corrupt(what, "empty index")
  const end = p + 8 + il * 16 + dl
  if (bytes.length < end) throw corrupt(what, `truncated: need ${end - offset} bytes, have ${bytes.length - offset}`)
  const blob = bytes.subarray(p, end)
  const indexStart = p + 8
  const data = bytes.subarray(indexStart + il * 16, end)
  const raw = (i: number) => {
    const o = indexStart + i * 16
    return { tag: bytes.readUInt32BE(o), type: bytes.readUInt32BE(o + 4), offset: bytes.readInt32BE(o + 8), count: bytes.readUInt32BE(o + 12) }
  }

  const region = parseRegion({ first: raw(0), il, dl, data, regionTag, exact, what })
  const entries: HeaderEntry[] = []
  const byTag = new Map<number, HeaderEntry>()
  const typecheck = region?.tag === HEADERIMMUTABLE || region?.tag === HEADERIMAGE
  let prevEnd = 0
  for (let i = region ? 1 : 0; i < il; i++) {
    const e = raw(i)
    const bad = (why: string) => corrupt(what, `entry ${i} (tag ${e.tag} type ${e.type} offset ${e.offset} count ${e.count}): ${why}`)
    if (e.tag < HEADERI18NTABLE) throw bad("tag number is reserved")
    if (e.type < 1 || e.type > 9) throw bad("unknown type")
    if (e.count < 1 || e.count > dl) throw bad("count out of range")
    if (e.type !== BIN && e.count > ARRAY_MAX) throw bad("array too large")
    if (e.offset < 0 || e.offset > dl) throw bad("offset out of range")
    if (e.offset % typeAlign[e.type]! !== 0) throw bad("misaligned")
    if (e.offset < prevEnd) throw bad("overlaps the previous entry")
    if (typecheck && !typeAllowed(e.tag, e.type)) throw bad("wrong type for this tag")
    const length = valueLength(data, e.type, e.offset, e.count)
    if (length === undefined || length <= 0) throw bad("value runs past the data")
    const valueEnd = e.offset + length
    if (region && valueEnd > region.rdl - 16 && e.offset < region.rdl) throw bad("overlaps the region trailer")
    prevEnd = valueEnd
    const entry: HeaderEntry = { tag: e.tag, type: e.type as TagType, offset: e.offset, count: e.count, length }
    entries.push(entry)
    // A tag repeated outside the region (an rpmdb "dribble") replaces the region's copy.
    byTag.set(e.tag, entry)
  }
  return { header: { entries, byTag, data, region, blob }, end }
}

const parseRegion = (a: {
  first: { tag: number; type: number; offset: number; count: number }
  il: number
  dl: number
  data: Buffer
  regionTag: number
  exact: boolean
  what: string
}): Region | undefined => {
  const { first, il, dl, data, regionTag, exact, what } = a
  const isRegion = first.tag === regionTag || (regionTag === HEADERIMMUTABLE && first.tag === HEADERIMAGE)
  if (!isRegion) {
    if (regionTag === HEADERSIGNATURES) throw corrupt(what, "no signature region")
    return undefined // a legacy header without an immutable region; callers decide whether to accept it
  }
  const tag = first.tag
  if (first.type !== BIN || first.count !== 16) throw corrupt(what, `region tag ${tag}: bad type ${first.type} / count ${first.count}`)
  if (first.offset < 0 || first.offset + 16 > dl) throw corrupt(what, `region tag ${tag}: trailer offset ${first.offset} out of range`)
  const t = first.offset
  let ttag = data.readUInt32BE(t)
  const ttype = data.readUInt32BE(t + 4)
  const toff = -data.readInt32BE(t + 8)
  const tcount = data.readUInt32BE(t + 12)
  if (tag === HEADERSIGNATURES && ttag === HEADERIMAGE) ttag = HEADERSIGNATURES // old packages, as rpm fixes up
  if (ttag !== tag || ttype !== BIN || tcount !== 16) throw corrupt(what, `region trailer: bad tag ${ttag} type ${ttype} count ${tcount}`)
  const rdl = first.offset + 16
  const ril = toff / 16
  if (toff % 16 !== 0 || ril < 1 || ril > il || rdl > dl) throw corrupt(what, `region size: ril ${ril} il ${il} rdl ${rdl} dl ${dl}`)
  if (exact && (il !== ril || dl !== rdl)) throw corrupt(what, `region covers ${ril}/${il} entries and ${rdl}/${dl} bytes; a package header must be all region`)
  return { tag, ril, rdl }
}

/** Byte length of a value, or undefined when it does not fit in the data store. */
const valueLength = (data: Buffer, type: number, offset: number, count: number): number | undefined => {
  const size = typeSize[type]!
  if (size > 0) {
    const n = size * count
    return offset + n <= data.length ? n : undefined
  }
  if (type === STRING && count !== 1) return undefined
  let p = offset
  for (let i = 0; i < count; i++) {
    const nul = data.indexOf(0, p)
    if (nul < 0) return undefined
    p = nul + 1
  }
  return p - offset
}

/** The bytes rpm digests and signs for a header: magic, ril, rdl, the region's index and data. */
export const regionImage = (h: Header): Buffer => {
  if (!h.region) throw corrupt("header", "no immutable region to digest")
  const { ril, rdl } = h.region
  const il = h.blob.readUInt32BE(0)
  const out = Buffer.allocUnsafe(16 + ril * 16 + rdl)
  HEADER_MAGIC.forEach((b, i) => (out[i] = b))
  out.writeUInt32BE(ril, 8)
  out.writeUInt32BE(rdl, 12)
  h.blob.copy(out, 16, 8, 8 + ril * 16)
  h.blob.copy(out, 16 + ril * 16, 8 + il * 16, 8 + il * 16 + rdl)
  return out
}

// ---- value accessors --------------------------------------------------------------------------

const stringsAt = (h: Header, e: HeaderEntry): string[] => {
  const out: string[] = []
  let p = e.offset
  for (let i = 0; i < e.count; i++) {
    const nul = h.data.indexOf(0, p)
    out.push(h.data.toString("utf8", p, nul))
    p = nul + 1
  }
  return out
}

const numbersAt = (h: Header, e: HeaderEntry): number[] => {
  const out = new Array<number>(e.count)
  const d = h.data
  for (let i = 0; i < e.count; i++) {
    switch (e.type) {
      case CHAR: case INT8: out[i] = d[e.offset + i]!; break
      case INT16: out[i] = d.readUInt16BE(e.offset + 2 * i); break
      case INT32: out[i] = d.readUInt32BE(e.offset + 4 * i); break
      case INT64: out[i] = Number(d.readBigUInt64BE(e.offset + 8 * i)); break
    }
  }
  return out
}

export const has = (h: Header, tag: number): boolean => h.byTag.has(tag)

/** All strings of a STRING, STRING_ARRAY or I18NSTRING entry ([] when absent or not a string). */
export const strings = (h: Header, tag: number): string[] => {
  const e = h.byTag.get(tag)
  return e && (e.type === STRING || e.type === STRING_ARRAY || e.type === I18NSTRING) ? stringsAt(h, e) : []
}

/** The first string of an entry; for I18NSTRING the string of `locale` (default: the first, "C"). */
export const string = (h: Header, tag: number, locale?: string): string | undefined => {
  const all = strings(h, tag)
  if (locale !== undefined && h.byTag.get(tag)?.type === I18NSTRING) {
    const langs = strings(h, HEADERI18NTABLE)
    const i = langs.indexOf(locale)
    if (i >= 0 && i < all.length) return all[i]
  }
  return all[0]
}

/** The numbers of a CHAR/INT8/INT16/INT32/INT64 entry ([] when absent or not numeric). */
export const numbers = (h: Header, tag: number): number[] => {
  const e = h.byTag.get(tag)
  return e && e.type >= CHAR && e.type <= INT64 ? numbersAt(h, e) : []
}

export const number = (h: Header, tag: number): number | undefined => numbers(h, tag)[0]

/** The raw bytes of a BIN entry (a view into the header). */
export const binary = (h: Header, tag: number): Buffer | undefined => {
  const e = h.byTag.get(tag)
  return e && e.type === BIN ? h.data.subarray(e.offset, e.offset + e.count) : undefined
}

export type TagValue = string | string[] | number[] | Buffer

/** Any entry decoded by its type: strings, numbers or bytes. */
export const value = (h: Header, tag: number): TagValue | undefined => {
  const e = h.byTag.get(tag)
  if (!e) return undefined
  if (e.type === BIN) return h.data.subarray(e.offset, e.offset + e.count)
  if (e.type === STRING) return stringsAt(h, e)[0]!
  if (e.type === STRING_ARRAY || e.type === I18NSTRING) return stringsAt(h, e)
  return numbersAt(h, e)
}
