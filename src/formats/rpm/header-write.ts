/**
 * Writes RPM headers: a new one from tag values (with an immutable or signature region, as
 * rpmbuild lays it out), or an installed copy of a package header with extra tags appended
 * after its region, the way rpm exports headers into the rpmdb (the region stays byte-for-byte,
 * so its digests and signatures still verify).
 */
import { corrupt } from "./error.js"
import { HEADER_MAGIC, type Header } from "./header.js"
import { BIN, CHAR, HEADERIMMUTABLE, I18NSTRING, INT16, INT32, INT64, INT8, STRING, STRING_ARRAY, type TagType } from "./tags.js"

export type WriteValue = string | ReadonlyArray<string> | ReadonlyArray<number> | ReadonlyArray<bigint> | Uint8Array

export interface WriteEntry {
  readonly tag: number
  readonly type: TagType
  readonly value: WriteValue
}

const align = [1, 1, 1, 2, 4, 8, 1, 1, 1, 1]

/** Encodes one value; returns its bytes and its count. */
const encode = (e: WriteEntry): { bytes: Buffer; count: number } => {
  const v = e.value
  switch (e.type) {
    case STRING:
      if (typeof v !== "string") throw corrupt("header write", `tag ${e.tag}: STRING needs a string`)
      return { bytes: Buffer.from(v + "\0", "utf8"), count: 1 }
    case STRING_ARRAY: case I18NSTRING: {
      const list = typeof v === "string" ? [v] : (v as ReadonlyArray<string>)
      return { bytes: Buffer.from(list.map((s) => s + "\0").join(""), "utf8"), count: list.length }
    }
    case BIN:
      return { bytes: Buffer.from(v as Uint8Array), count: (v as Uint8Array).length }
    case CHAR: case INT8: case INT16: case INT32: case INT64: {
      const list = v as ReadonlyArray<number | bigint>
      const size = [0, 1, 1, 2, 4, 8][e.type]!
      const b = Buffer.alloc(size * list.length)
      list.forEach((n, i) => {
        if (size === 1) b.writeUInt8(Number(n), i)
        else if (size === 2) b.writeUInt16BE(Number(n), 2 * i)
        else if (size === 4) b.writeUInt32BE(Number(n) >>> 0, 4 * i)
        else b.writeBigUInt64BE(BigInt(n), 8 * i)
      })
      return { bytes: b, count: list.length }
    }
  }
  throw corrupt("header write", `tag ${e.tag}: cannot write type ${e.type}`)
}

/**
 * A header with magic, its entries sorted by tag and laid out in that order, and — when
 * `regionTag` is given — a region entry first whose trailer closes the data, as rpmbuild writes.
 */
export const buildHeader = ({ entries, regionTag = HEADERIMMUTABLE }: { entries: ReadonlyArray<WriteEntry>; regionTag?: number | null }): Buffer => {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag)
  const parts: Buffer[] = []
  const index: Array<[number, number, number, number]> = []
  let dl = 0
  for (const e of sorted) {
    const { bytes, count } = encode(e)
    const pad = (align[e.type]! - (dl % align[e.type]!)) % align[e.type]!
    if (pad) parts.push(Buffer.alloc(pad))
    dl += pad
    index.push([e.tag, e.type, dl, count])
    parts.push(bytes)
    dl += bytes.length
  }
  if (regionTag !== null) {
    const ril = index.length + 1
    const trailer = Buffer.alloc(16)
    trailer.writeUInt32BE(regionTag, 0)
    trailer.writeUInt32BE(BIN, 4)
    trailer.writeInt32BE(-ril * 16, 8)
    trailer.writeUInt32BE(16, 12)
    index.unshift([regionTag, BIN, dl, 16])
    parts.push(trailer)
    dl += 16
  }
  const head = Buffer.alloc(16 + index.length * 16)
  Buffer.from(HEADER_MAGIC).copy(head, 0)
  head.writeUInt32BE(index.length, 8)
  head.writeUInt32BE(dl, 12)
  index.forEach(([tag, type, offset, count], i) => {
    head.writeUInt32BE(tag, 16 + 16 * i)
    head.writeUInt32BE(type, 20 + 16 * i)
    head.writeInt32BE(offset, 24 + 16 * i)
    head.writeUInt32BE(count, 28 + 16 * i)
  })
  return Buffer.concat([head, ...parts])
}

/**
 * The rpmdb form of an installed header: the package header's region unchanged, then `extra`
 * entries (sorted by tag) with their data after the region's. Returns the blob without magic.
 */
export const appendToRegion = ({ header, extra }: { header: Header; extra: ReadonlyArray<WriteEntry> }): Buffer => {
  if (!header.region) throw corrupt("header write", "header has no immutable region")
  const { ril, rdl } = header.region
  const il0 = header.blob.readUInt32BE(0)
  const sorted = [...extra].sort((a, b) => a.tag - b.tag)
  const index = Buffer.alloc(sorted.length * 16)
  const parts: Buffer[] = []
  let dl = rdl
  sorted.forEach((e, i) => {
    const { bytes, count } = encode(e)
    const pad = (align[e.type]! - (dl % align[e.type]!)) % align[e.type]!
    if (pad) parts.push(Buffer.alloc(pad))
    dl += pad
    index.writeUInt32BE(e.tag, 16 * i)
    index.writeUInt32BE(e.type, 16 * i + 4)
    index.writeInt32BE(dl, 16 * i + 8)
    index.writeUInt32BE(count, 16 * i + 12)
    parts.push(bytes)
    dl += bytes.length
  })
  const ildl = Buffer.alloc(8)
  ildl.writeUInt32BE(ril + sorted.length, 0)
  ildl.writeUInt32BE(dl, 4)
  const regionIndex = header.blob.subarray(8, 8 + ril * 16)
  const regionData = header.blob.subarray(8 + il0 * 16, 8 + il0 * 16 + rdl)
  return Buffer.concat([ildl, regionIndex, index, regionData, ...parts])
}
