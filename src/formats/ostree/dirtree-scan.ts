/**
 * A direct reader of dirtree bytes `(a(say)a(sayay))` — the hot path of every checkout, diff and
 * traversal (the bench tree has 2307 dirtrees, 17k entries). The generic GVariant parser builds
 * a tuple array per entry, copies every checksum into a fresh Uint8Array and decodes every name
 * through a TextDecoder; this walks the same framing in place, reads ASCII names with one latin1
 * slice and checksums straight to hex from the input.
 *
 * It checks exactly what the generic parser checks (offset-table bounds, element bounds, string
 * NUL termination, no inner NUL, UTF-8) plus the 32-byte checksums, and returns undefined at the
 * first doubt — then the caller runs the generic parser, which names the error. So it never
 * accepts what the generic parser refuses; name rules and order stay with parseDirtree.
 */
import type { Checksum } from "./checksum.js"

export interface ScannedDirtree {
  readonly files: Array<{ readonly name: string; readonly checksum: Checksum }>
  readonly dirs: Array<{ readonly name: string; readonly tree: Checksum; readonly meta: Checksum }>
}

const decoder = new TextDecoder("utf-8", { fatal: true })

const widthFor = (size: number): number => (size <= 0xff ? 1 : size <= 0xffff ? 2 : 4)

/** A little-endian framing offset; -1 for 8-byte offsets (objects over 4 GiB: not ours to fast-path). */
const offsetAt = (b: Uint8Array, pos: number, w: number): number =>
  w === 1 ? b[pos]! : w === 2 ? b[pos]! | (b[pos + 1]! << 8) : b[pos]! + (b[pos + 1]! << 8) + (b[pos + 2]! << 16) + b[pos + 3]! * 0x1000000

/** The NUL-terminated string at [s, e), or undefined if it is not one the generic parser accepts. */
const stringAt = (buf: Buffer, s: number, e: number): string | undefined => {
  if (e <= s || buf[e - 1] !== 0) return undefined
  for (let i = s; i < e - 1; i++) {
    const c = buf[i]!
    if (c === 0) return undefined
    if (c >= 0x80) {
      try {
        return decoder.decode(buf.subarray(s, e - 1))
      } catch {
        return undefined
      }
    }
  }
  return buf.toString("latin1", s, e - 1)
}

/**
 * Calls `each(s, e)` for every element of a variable-size-element array at [start, end) with
 * 1-byte alignment (both dirtree arrays); false if the framing is not one the generic parser accepts.
 */
const eachElement = (b: Uint8Array, start: number, end: number, each: (s: number, e: number) => boolean): boolean => {
  const size = end - start
  if (size === 0) return true
  if (size > 0xffffffff) return false
  const w = widthFor(size)
  const tableStart = start + offsetAt(b, end - w, w)
  if (tableStart < start || tableStart > end - w || (end - tableStart) % w !== 0) return false
  const n = (end - tableStart) / w
  let prev = start
  for (let i = 0; i < n; i++) {
    const eEnd = start + offsetAt(b, tableStart + i * w, w)
    if (eEnd < prev || eEnd > tableStart) return false
    if (!each(prev, eEnd)) return false
    prev = eEnd
  }
  return true
}

export const scanDirtree = (bytes: Uint8Array): ScannedDirtree | undefined => {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const size = buf.length
  if (size === 0 || size > 0xffffffff) return undefined
  // Outer tuple: the files array's end is the one framing offset, the dirs array runs to it.
  const w = widthFor(size)
  const tableEnd = size - w
  const filesEnd = offsetAt(buf, tableEnd, w)
  if (filesEnd > tableEnd) return undefined
  const files: ScannedDirtree["files"] = []
  const dirs: ScannedDirtree["dirs"] = []
  const okFiles = eachElement(buf, 0, filesEnd, (s, e) => {
    // (say): the name's end is the tuple's one framing offset; the checksum runs to it.
    const tw = widthFor(e - s)
    const tEnd = e - tw
    if (tEnd < s) return false
    const nameEnd = s + offsetAt(buf, tEnd, tw)
    if (nameEnd > tEnd || tEnd - nameEnd !== 32) return false
    const name = stringAt(buf, s, nameEnd)
    if (name === undefined) return false
    files.push({ name, checksum: buf.toString("hex", nameEnd, tEnd) })
    return true
  })
  if (!okFiles) return undefined
  const okDirs = eachElement(buf, filesEnd, tableEnd, (s, e) => {
    // (sayay): framing offsets for the name's end, then the tree checksum's end; meta runs to the table.
    const tw = widthFor(e - s)
    const t1 = e - tw
    if (t1 < s) return false
    const nameEnd = s + offsetAt(buf, t1, tw)
    if (nameEnd > t1) return false
    const t2 = t1 - tw
    if (t2 < s) return false
    const treeEnd = s + offsetAt(buf, t2, tw)
    if (treeEnd < nameEnd || treeEnd > t2 || treeEnd - nameEnd !== 32 || t2 - treeEnd !== 32) return false
    const name = stringAt(buf, s, nameEnd)
    if (name === undefined) return false
    dirs.push({ name, tree: buf.toString("hex", nameEnd, treeEnd), meta: buf.toString("hex", treeEnd, t2) })
    return true
  })
  return okDirs ? { files, dirs } : undefined
}
