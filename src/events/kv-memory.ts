/**
 * An in-memory KV with LevelDB's semantics (bytewise key order, atomic batches, snapshot
 * iterators, no use after close): the test fake and the store of `layerMemory`. The data lives
 * in a `MemoryData` object apart from the handle, so a test can close a log and reopen the same
 * data, as it would a LevelDB directory. Keys are held as latin1 strings, whose UTF-16 order
 * equals the bytes' order, in a sorted array beside a Map.
 */
import { EventLogError } from "./error.js"
import type { KV, KVOp, KVRange } from "./kv.js"

const str = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1")
const bytes = (s: string): Uint8Array => Buffer.from(s, "latin1")

/** First index whose key is >= k. */
const lowerBound = (keys: ReadonlyArray<string>, k: string): number => {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! < k) lo = mid + 1
    else hi = mid
  }
  return lo
}

export interface MemoryData {
  readonly map: Map<string, Uint8Array>
  readonly keys: string[]
}

export const makeMemoryData = (): MemoryData => ({ map: new Map(), keys: [] })

const apply = ({ map, keys }: MemoryData, op: KVOp): void => {
  const k = str(op.key)
  if (op.type === "put") {
    if (!map.has(k)) {
      const i = lowerBound(keys, k)
      // Appends in key order are the common case: push instead of splicing.
      if (i === keys.length) keys.push(k)
      else keys.splice(i, 0, k)
    }
    map.set(k, Uint8Array.from(op.value))
  } else if (map.delete(k)) {
    keys.splice(lowerBound(keys, k), 1)
  }
}

export const openMemoryKV = (data: MemoryData = makeMemoryData()): KV => {
  let open = true
  const check = (): void => {
    if (!open) throw new EventLogError({ op: "event log", reason: "Io", detail: "the log is closed" })
  }
  return {
    get: async (key) => {
      check()
      const v = data.map.get(str(key))
      return v && Uint8Array.from(v)
    },
    batch: async (ops) => {
      check()
      // All ops land together (nothing awaits in between), like a LevelDB batch.
      for (const op of ops) apply(data, op)
    },
    entries: (range: KVRange) => ({
      [Symbol.asyncIterator]: async function* () {
        check()
        // Take the matching entries up front, as a LevelDB iterator reads a snapshot.
        const lo = range.gte ? lowerBound(data.keys, str(range.gte)) : 0
        const hi = range.lt ? lowerBound(data.keys, str(range.lt)) : data.keys.length
        let slice = data.keys.slice(lo, hi)
        if (range.reverse) slice.reverse()
        if (range.limit !== undefined && range.limit >= 0) slice = slice.slice(0, range.limit)
        const values = slice.map((k) => data.map.get(k)!)
        for (let i = 0; i < slice.length; i += 1000) {
          yield slice.slice(i, i + 1000).map((k, j) => [bytes(k), Uint8Array.from(values[i + j]!)] as const)
        }
      },
    }),
    close: async () => {
      open = false
    },
  }
}
