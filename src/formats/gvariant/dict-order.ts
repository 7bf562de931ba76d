/**
 * The entry order of an `a{sv}` built with GLib's GVariantDict. GVariantDict keeps a GHashTable
 * (g_str_hash, GLib ≥ 2.60 layout) and `g_variant_dict_end` walks its buckets in index order, so
 * ostree's summary and its per-ref metadata come out in hash order, not insertion order. To write
 * byte-identical files we replay the table: djb2 string hash, index = hash·11 mod prime,
 * triangular probing, and GLib's in-place resize when the load passes 15/16.
 */
import type { VarDict, Variant } from "./value.js"

/** GLib's prime_mod table, by table shift. */
const PRIME_MOD = [
  1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573,
  2097143, 4194301, 8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
]
const MIN_SHIFT = 3

/** g_str_hash (djb2 over signed chars), with GLib's reserved values 0 and 1 mapped to 2. */
const strHash = (s: string): number => {
  let h = 5381
  for (const b of Buffer.from(s, "utf8")) h = (Math.imul(h, 33) + ((b << 24) >> 24)) >>> 0
  return h < 2 ? 2 : h
}

class Table {
  shift = MIN_SHIFT
  size = 1 << MIN_SHIFT
  hashes: number[] = new Array(this.size).fill(0)
  keys: Array<string | undefined> = new Array(this.size).fill(undefined)
  nnodes = 0

  private index(h: number): number {
    return (Math.imul(h, 11) >>> 0) % PRIME_MOD[this.shift]!
  }

  insert(key: string): void {
    const h = strHash(key)
    let i = this.index(h)
    let step = 0
    while (this.hashes[i] !== 0) {
      if (this.hashes[i] === h && this.keys[i] === key) return // replacing keeps the slot
      step++
      i = (i + step) & (this.size - 1)
    }
    this.hashes[i] = h
    this.keys[i] = key
    this.nnodes++
    // No deletions ever happen here, so occupied == nnodes.
    if (this.size <= this.nnodes + Math.trunc(this.nnodes / 16)) this.resize()
  }

  /** g_hash_table_resize: grow, then relocate entries in place, evicting occupants as it goes. */
  private resize(): void {
    const oldSize = this.size
    let n = Math.trunc(this.nnodes * 1.333)
    let bits = 0
    while (n) {
      n >>= 1
      bits++
    }
    this.shift = Math.max(bits, MIN_SHIFT)
    this.size = 1 << this.shift
    const mask = this.size - 1
    for (let i = oldSize; i < this.size; i++) {
      this.hashes.push(0)
      this.keys.push(undefined)
    }
    const placed = new Array<boolean>(this.size).fill(false)
    for (let i = 0; i < oldSize; i++) {
      let h = this.hashes[i]!
      if (h < 2 || placed[i]) continue
      this.hashes[i] = 0
      let key = this.keys[i]
      this.keys[i] = undefined
      for (;;) {
        let j = this.index(h)
        let step = 0
        while (placed[j]) {
          step++
          j = (j + step) & mask
        }
        placed[j] = true
        const replaced = this.hashes[j]!
        const replacedKey = this.keys[j]
        this.hashes[j] = h
        this.keys[j] = key
        if (replaced < 2) break
        h = replaced
        key = replacedKey
      }
    }
  }

  ordered(): string[] {
    return this.keys.filter((k): k is string => k !== undefined)
  }
}

/** The keys in the order GVariantDict would emit them after inserting `keys` in this order. */
export const glibDictOrder = (keys: ReadonlyArray<string>): string[] => {
  const t = new Table()
  for (const k of keys) t.insert(k)
  return t.ordered()
}

/** Builds an `a{sv}` the way GVariantDict does: later inserts of a key replace its value. */
export const glibDict = (entries: ReadonlyArray<readonly [string, Variant]>): VarDict => {
  const values = new Map<string, Variant>()
  for (const [k, v] of entries) values.set(k, v)
  return glibDictOrder(entries.map(([k]) => k)).map((k) => [k, values.get(k)!] as const)
}
