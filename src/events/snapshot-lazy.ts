/**
 * Reading a step event without decoding its machine snapshot until someone asks for it.
 *
 * A step event's `data.snapshot` (xstate's persisted snapshot, schema `Unknown`) is ~80% of its
 * bytes, and only recovery's resume and `strata log --json` look at it; replays fold deployments,
 * history and in-flight transactions, which never do. So the reader finds the snapshot's byte
 * range with a structural MessagePack walk (no allocation), decodes the record with the
 * snapshot replaced by nil, validates envelope and payload as usual (`Unknown` accepts anything,
 * so nothing is skipped), and puts back an enumerable getter that decodes the stored bytes on
 * first access. The walk checks the skipped bytes are well-formed MessagePack; anything it does
 * not fully understand (extension types, duplicate keys, non-canonical keys, trailing bytes)
 * makes it give up, and the record is decoded eagerly as before.
 */
import { decodeRecord } from "./codec.js"
import { EventLogError } from "./error.js"

/** Header bytes (type byte included) of the non-fix forms; scalars are all header. */
const HEADER = new Uint8Array(256).fill(1)
for (const [size, types] of [[2, [0xc4, 0xd9, 0xcc, 0xd0]], [3, [0xc5, 0xda, 0xcd, 0xd1, 0xdc, 0xde]], [5, [0xc6, 0xdb, 0xca, 0xce, 0xd2, 0xdd, 0xdf]], [9, [0xcb, 0xcf, 0xd3]]] as const) {
  for (const t of types) HEADER[t] = size
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!
const u32 = (b: Uint8Array, o: number): number => b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!)

/**
 * The offset after `n` values starting at `o`, or -1 (malformed, or an extension type). No
 * recursion: skipping needs only a count of the values still to pass, to which every map or
 * array adds its entries.
 */
const skip = (b: Uint8Array, o: number, n = 1): number => {
  const len = b.length
  let pending = n
  while (pending > 0) {
    if (o >= len) return -1
    pending--
    const t = b[o]!
    if (t <= 0x7f || t >= 0xe0) o += 1 // fixint
    else if (t <= 0x8f) (pending += (t & 0x0f) * 2), (o += 1) // fixmap
    else if (t <= 0x9f) (pending += t & 0x0f), (o += 1) // fixarray
    else if (t <= 0xbf) o += 1 + (t & 0x1f) // fixstr
    else {
      // Every other form has a header of fixed size: make sure it is there before reading it.
      if (o + HEADER[t]! > len) return -1
      switch (t) {
        case 0xc0: // nil
        case 0xc2: // false
        case 0xc3: // true
          o += 1
          break
        case 0xc4: // bin 8
        case 0xd9: // str 8
          o += 2 + b[o + 1]!
          break
        case 0xc5:
        case 0xda:
          o += 3 + u16(b, o + 1)
          break
        case 0xc6:
        case 0xdb:
          o += 5 + u32(b, o + 1)
          break
        case 0xcc: // uint 8
        case 0xd0: // int 8
          o += 2
          break
        case 0xcd:
        case 0xd1:
          o += 3
          break
        case 0xca: // float 32
        case 0xce:
        case 0xd2:
          o += 5
          break
        case 0xcb: // float 64
        case 0xcf:
        case 0xd3:
          o += 9
          break
        case 0xdc:
          pending += u16(b, o + 1)
          o += 3
          break
        case 0xdd:
          pending += u32(b, o + 1)
          o += 5
          break
        case 0xde:
          pending += u16(b, o + 1) * 2
          o += 3
          break
        case 0xdf:
          pending += u32(b, o + 1) * 2
          o += 5
          break
        default: // 0xc1 (never used) and the extension types: leave them to msgpackr
          return -1
      }
    }
  }
  return o > len ? -1 : o
}

/** Map header at `o`: [entries, offset of the first key], or undefined if it is not a map. */
const mapAt = (b: Uint8Array, o: number): [number, number] | undefined => {
  const t = b[o]
  if (t === undefined) return undefined
  if (t >= 0x80 && t <= 0x8f) return [t & 0x0f, o + 1]
  if (t === 0xde && o + 3 <= b.length) return [u16(b, o + 1), o + 3]
  if (t === 0xdf && o + 5 <= b.length) return [u32(b, o + 1), o + 5]
  return undefined
}

const fixstr = (s: string): Uint8Array => Uint8Array.from([0xa0 | s.length, ...Buffer.from(s, "latin1")])
const DATA = fixstr("data")
const SNAPSHOT = fixstr("snapshot")

const isKey = (b: Uint8Array, o: number, key: Uint8Array): boolean => {
  if (o + key.length > b.length) return false
  for (let i = 0; i < key.length; i++) if (b[o + i] !== key[i]) return false
  return true
}

/**
 * Where `data.snapshot`'s value lies in a stored record: [start, end), or undefined when the
 * record has none, it is nil, or the walk gives up (then decode it all).
 */
export const locateSnapshot = (b: Uint8Array): readonly [number, number] | undefined => {
  const top = mapAt(b, 0)
  if (!top) return undefined
  let o = top[1]
  let found: [number, number] | undefined
  let seenData = false
  for (let i = 0; i < top[0]; i++) {
    const data = isKey(b, o, DATA)
    o = skip(b, o)
    if (o < 0) return undefined
    if (!data) {
      o = skip(b, o)
      if (o < 0) return undefined
      continue
    }
    if (seenData) return undefined // a duplicate key: last one wins in msgpackr; do not guess
    seenData = true
    const m = mapAt(b, o)
    if (!m) {
      o = skip(b, o)
      if (o < 0) return undefined
      continue
    }
    o = m[1]
    for (let j = 0; j < m[0]; j++) {
      const snap = isKey(b, o, SNAPSHOT)
      o = skip(b, o)
      if (o < 0) return undefined
      const start = o
      o = skip(b, o)
      if (o < 0) return undefined
      if (snap) {
        if (found) return undefined
        found = [start, o]
      }
    }
  }
  if (o !== b.length || !found || b[found[0]] === 0xc0) return undefined
  return found
}

/**
 * Where `withoutRange` puts the records it makes: slices of 256 KiB blocks, a fresh block when
 * one is full. Node's 8 KiB buffer pool (Buffer.allocUnsafe) made a new ArrayBuffer every ~16
 * step records, ~6k per 100k-event replay (createUnsafeBuffer: ~45 ms of its main thread in
 * profiles); blocks make ~200. A block is never written twice — msgpackr hands out views of the
 * record for binary values, which must stay valid — and is freed once nothing refers to it
 * (decoded strings and numbers are copies, so usually right after its records are decoded).
 */
const BLOCK = 256 * 1024
let block = Buffer.alloc(0)
let used = 0

/** The record with the value at [start, end) replaced by nil (map sizes are unchanged). */
export const withoutRange = (b: Uint8Array, [start, end]: readonly [number, number]): Uint8Array => {
  const n = b.length - (end - start) + 1
  if (used + n > block.length) {
    block = Buffer.allocUnsafeSlow(Math.max(BLOCK, n))
    used = 0
  }
  const at = used
  used += n
  // Plain views of the source: Buffer#subarray is a slower JS path (and makes Buffers).
  block.set(new Uint8Array(b.buffer, b.byteOffset, start), at)
  block[at + start] = 0xc0
  block.set(new Uint8Array(b.buffer, b.byteOffset + end, b.length - end), at + start + 1)
  return block.subarray(at, at + n)
}

/**
 * A copy of a decoded payload with `snapshot` as an enumerable getter over the stored bytes (an
 * object literal's accessor: defineProperty on the decoded object was slower).
 */
export const withLazySnapshot = <T extends object>(data: T, bytes: Uint8Array, range: readonly [number, number], pos: number): T => {
  let value: unknown
  let decoded = false
  return {
    ...data,
    get snapshot(): unknown {
      if (!decoded) {
        try {
          value = decodeRecord(bytes.subarray(range[0], range[1]))
        } catch (e) {
          throw new EventLogError({ op: "read", reason: "Corrupt", detail: `snapshot is not valid MessagePack: ${String((e as Error)?.message ?? e)}`, pos })
        }
        decoded = true
      }
      return value
    },
  }
}
