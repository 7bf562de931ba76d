/**
 * The ordered key-value store the event log is written over. LevelDB (kv-level.ts) is the real
 * one; kv-memory.ts is a fake with the same ordering and batch atomicity, so both backends share
 * every line of the log's logic. Keys and values are bytes; keys sort bytewise.
 */
export type KVOp =
  | { readonly type: "put"; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: "del"; readonly key: Uint8Array }

export interface KVRange {
  readonly gte?: Uint8Array
  readonly lt?: Uint8Array
  readonly reverse?: boolean
  readonly limit?: number
}

export interface KV {
  readonly get: (key: Uint8Array) => Promise<Uint8Array | undefined>
  /** Applies all ops atomically; `sync` waits until they are on stable storage. */
  readonly batch: (ops: ReadonlyArray<KVOp>, opts: { readonly sync: boolean }) => Promise<void>
  /** Entries in key order (or reverse), yielded in chunks so large scans do not round-trip per entry. */
  readonly entries: (range: KVRange) => AsyncIterable<ReadonlyArray<readonly [Uint8Array, Uint8Array]>>
  readonly close: () => Promise<void>
}
