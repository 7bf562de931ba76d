/**
 * Interned strings: every name, version and arch in a pool becomes a small integer once, so the
 * solver compares and indexes integers. Id 0 is the empty string; dependency lists use it as a
 * terminator, so no real name ever has id 0.
 *
 * Strings are kept as UTF-8 bytes in one arena with an open-addressing hash table over them, so a
 * parser can intern straight from the bytes of a metadata file (internBytes) without making a
 * JavaScript string for the thousands of repeats of "glibc" or "1.0-1"; JavaScript strings are
 * made on first use and cached. The arena, offsets and table are plain typed arrays, which is
 * what lets a pool be saved and loaded without rebuilding anything (snapshot.ts).
 */
import { SlotCache } from "./slot-cache.js"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

const hashBytes = (b: Uint8Array, start: number, end: number): number => {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193)
  return h >>> 0
}

export interface StringPoolData {
  readonly arena: Uint8Array
  /** Byte offset of string id i is off[i]; its end is off[i + 1]. */
  readonly off: Int32Array
  readonly count: number
  /** Slots hold id + 1, 0 = empty; length a power of two. */
  readonly table: Int32Array
}

export class StringPool {
  private arena: Uint8Array
  private off: Int32Array
  private n: number
  private table: Int32Array
  private mask: number
  private readonly cache = new SlotCache<string>()
  private scratch = new Uint8Array(256)

  constructor(data?: StringPoolData) {
    if (data) {
      this.arena = data.arena
      this.off = data.off
      this.n = data.count
      this.table = data.table
    } else {
      this.arena = new Uint8Array(1 << 16)
      this.off = new Int32Array(1 << 12)
      this.n = 1 // id 0: "", zero bytes
      this.table = new Int32Array(1 << 12)
      this.table[hashBytes(this.arena, 0, 0) & (this.table.length - 1)] = 1
    }
    this.mask = this.table.length - 1
  }

  get size(): number {
    return this.n
  }

  /** The pool's state as typed arrays (copies trimmed to size). */
  data(): StringPoolData {
    return { arena: this.arena.slice(0, this.off[this.n]!), off: this.off.slice(0, this.n + 1), count: this.n, table: this.table.slice() }
  }

  private equals(id: number, b: Uint8Array, start: number, end: number): boolean {
    const s = this.off[id]!
    const len = this.off[id + 1]! - s
    if (len !== end - start) return false
    const a = this.arena
    for (let i = 0; i < len; i++) if (a[s + i] !== b[start + i]) return false
    return true
  }

  private find(b: Uint8Array, start: number, end: number, h: number): number {
    let slot = h & this.mask
    for (;;) {
      const v = this.table[slot]!
      if (v === 0) return -1 - slot
      if (this.equals(v - 1, b, start, end)) return v - 1
      slot = (slot + 1) & this.mask
    }
  }

  /** The id of the UTF-8 string in b[start, end), interning it if new. */
  internBytes(b: Uint8Array, start: number, end: number): number {
    const h = hashBytes(b, start, end)
    const found = this.find(b, start, end, h)
    if (found >= 0) return found
    return this.insert(b, start, end, -1 - found)
  }

  /** The id of the UTF-8 string in b[start, end), or undefined. */
  lookupBytes(b: Uint8Array, start: number, end: number): number | undefined {
    const found = this.find(b, start, end, hashBytes(b, start, end))
    return found >= 0 ? found : undefined
  }

  private insert(b: Uint8Array, start: number, end: number, slot: number): number {
    const id = this.n++
    const len = end - start
    if (id + 2 > this.off.length) {
      const o = new Int32Array(this.off.length * 2)
      o.set(this.off)
      this.off = o
    }
    const at = this.off[id]!
    if (at + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, at + len + 1024))
      a.set(this.arena.subarray(0, at))
      this.arena = a
    }
    this.arena.set(b.subarray(start, end), at)
    this.off[id + 1] = at + len
    this.table[slot] = id + 1
    if (this.n * 2 > this.table.length) this.rehash()
    return id
  }

  private rehash(): void {
    const t = new Int32Array(this.table.length * 2)
    const mask = t.length - 1
    for (let id = 0; id < this.n; id++) {
      let slot = hashBytes(this.arena, this.off[id]!, this.off[id + 1]!) & mask
      while (t[slot] !== 0) slot = (slot + 1) & mask
      t[slot] = id + 1
    }
    this.table = t
    this.mask = mask
  }

  private encode(s: string): number {
    // UTF-8 needs at most 3 bytes per UTF-16 unit
    if (s.length * 3 > this.scratch.length) this.scratch = new Uint8Array(s.length * 3 + 64)
    return encoder.encodeInto(s, this.scratch).written
  }

  intern(s: string): number {
    const n = this.encode(s)
    const id = this.internBytes(this.scratch, 0, n)
    if (this.cache.get(id) === undefined) this.cache.set(id, s)
    return id
  }

  lookup(s: string): number | undefined {
    const n = this.encode(s)
    return this.lookupBytes(this.scratch, 0, n)
  }

  str(id: number): string {
    let s = this.cache.get(id)
    if (s === undefined) {
      const a = this.off[id]!
      const b = this.off[id + 1]!
      s = decodeString(this.arena, a, b)
      this.cache.set(id, s)
    }
    return s
  }

  /** Whether string id starts with byte c (e.g. '/' for paths) without making a string. */
  startsWith(id: number, c: number): boolean {
    const a = this.off[id]!
    return a < this.off[id + 1]! && this.arena[a] === c
  }
}

// Buffer's native UTF-8 slice (undocumented, but on Buffer.prototype since Node's first releases): one call per string, measured ~4×
// faster than String.fromCharCode on a cold start, when a report decodes ~4500 strings. Not
// there outside Node: TextDecoder then.
const utf8Slice = (globalThis as { Buffer?: { prototype: { utf8Slice?: unknown } } }).Buffer?.prototype.utf8Slice as ((this: Uint8Array, start: number, end: number) => string) | undefined

/**
 * UTF-8 bytes → string, as TextDecoder makes it (which drops a leading byte-order mark: a string
 * starting with 0xEF goes through it).
 */
const decodeString = (b: Uint8Array, start: number, end: number): string =>
  utf8Slice !== undefined && b[start] !== 0xef ? utf8Slice.call(b, start, end) : decoder.decode(b.subarray(start, end))
