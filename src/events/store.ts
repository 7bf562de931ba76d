/**
 * The event log itself, over any KV (LevelDB or memory): appends with optimistic concurrency and
 * a hash chain, readers, live subscriptions and verification. This is the one implementation;
 * the promise face (open.ts) hands it out as is and the Effect service (service.ts) wraps it.
 *
 * Appends are serialized through an in-process queue (the one writer), and every append is ONE
 * KV batch holding its events, their stream-index entries and the new head record, so a crash
 * leaves either all of it or none of it.
 */
import { sha256hex, encodeRecord, decodeRecord } from "./codec.js"
import { emptyHead, type EventEnvelope, type ExpectedVersion, type Head, type NewEvent } from "./envelope.js"
import { EventLogError, WrongExpectedVersion, storageError } from "./error.js"
import { HEAD_KEY, checkStreamName, eventKey, eventRange, posOfEventKey, readU64be, streamKeys, streamRange, u64be } from "./keys.js"
import type { KV, KVOp } from "./kv.js"
import { makeSerialQueue } from "./queue.js"
import { decodeEventBytes } from "./record.js"
import type { Registry } from "./registry.js"
import { catalog } from "./catalog.js"
import { verifyKV, type VerifyReport } from "./verify.js"
import { makeWaiters } from "./waiters.js"

export interface AppendOptions {
  /** Wait for stable storage (a step boundary). Defaults to the log's `syncByDefault`. */
  readonly sync?: boolean
}

export interface AppendResult {
  /** The events as stored (payloads as the caller gave them). */
  readonly events: ReadonlyArray<EventEnvelope>
  /** The stream's version after the append. */
  readonly version: number
  readonly head: Head
}

export interface StoreOptions {
  readonly registry?: Registry
  /** The clock for `at`; injectable for tests. */
  readonly now?: () => Date
  /** Whether appends without an explicit `sync` wait for the disk. Default true. */
  readonly syncByDefault?: boolean
  /** Shown in errors. */
  readonly path?: string
  /**
   * Called after each append is written (and synced, if it was a sync append), before the caller
   * sees the result. The hook for crash-point testing (`STRATA_CRASH_AT`): kill here and the
   * event is known to be durable. It must not throw.
   */
  readonly onAppend?: (result: AppendResult) => void
}

export interface ReadRange {
  /** First position (inclusive); default 1. */
  readonly from?: number
  /** Last position (inclusive); default the end. */
  readonly to?: number
}

export interface EventStore {
  readonly registry: Registry
  readonly append: (stream: string, expected: ExpectedVersion, events: ReadonlyArray<NewEvent>, opts?: AppendOptions) => Promise<AppendResult>
  /** Events of one stream in seq order, from `fromSeq` (default 1). */
  readonly readStream: (stream: string, opts?: { readonly fromSeq?: number }) => AsyncIterable<EventEnvelope>
  /** Events by global position. */
  readonly readRange: (range?: ReadRange) => AsyncIterable<EventEnvelope>
  readonly readAll: () => AsyncIterable<EventEnvelope>
  /**
   * Events by global position, a storage batch at a time (up to ~1000 decoded events per array,
   * in order, none empty): the replay path. One await per batch instead of one per event, so a
   * consumer folds each array synchronously (`foldLog` in src/projections/fold.ts).
   */
  readonly readChunks: (range?: ReadRange) => AsyncIterable<ReadonlyArray<EventEnvelope>>
  /** Existing events from `fromPos`, then new ones as they are appended; ends on close or abort. */
  readonly subscribe: (fromPos?: number, opts?: { readonly signal?: AbortSignal }) => AsyncIterable<EventEnvelope>
  readonly head: () => Head
  /** Seq of the stream's last event; 0 if the stream has none. */
  readonly streamVersion: (stream: string) => Promise<number>
  readonly verify: () => Promise<VerifyReport>
  readonly close: () => Promise<void>
}

/** Where appends continue: the head record, or the last record if that is further on. */
const loadHead = async (kv: KV): Promise<Head> => {
  const stored = await kv.get(HEAD_KEY)
  let head = emptyHead
  if (stored) {
    // An unreadable head record is verify's to report; appends go on from the last record.
    let h: Partial<Head> | undefined
    try {
      h = decodeRecord(stored) as Partial<Head>
    } catch {
      h = undefined
    }
    if (typeof h?.pos === "number" && typeof h?.hash === "string") head = { pos: h.pos, hash: h.hash }
  }
  for await (const chunk of kv.entries({ ...eventRange(0), reverse: true, limit: 1 })) {
    for (const [key, bytes] of chunk) {
      // Never reuse a position, even if the head record was lost; a truncated tail keeps its
      // head so the gap stays visible to verify.
      const pos = posOfEventKey(key)
      if (pos > head.pos) head = { pos, hash: sha256hex(bytes) }
    }
  }
  return head
}

export const openStore = async (kv: KV, opts: StoreOptions = {}): Promise<EventStore> => {
  const registry = opts.registry ?? catalog
  const now = opts.now ?? (() => new Date())
  const syncByDefault = opts.syncByDefault ?? true
  const queue = makeSerialQueue()
  const waiters = makeWaiters()
  const versions = new Map<string, number>()
  let head = await loadHead(kv)
  // `closing` refuses new work at once; `closed` is set once queued appends have finished.
  let closing = false
  let closed = false

  const ensureOpen = (op: string): void => {
    if (closing) throw new EventLogError({ op, reason: "Io", detail: "the event log is closed", ...(opts.path ? { path: opts.path } : {}) })
  }

  // The single writer keeps stream versions in memory once read: nobody else can append.
  const streamVersion = async (stream: string): Promise<number> => {
    const known = versions.get(stream)
    if (known !== undefined) return known
    let v = 0
    for await (const chunk of kv.entries({ ...streamRange(stream), reverse: true, limit: 1 })) {
      for (const [key] of chunk) v = readU64be(key, key.length - 8)
    }
    versions.set(stream, v)
    return v
  }

  const append = async (stream: string, expected: ExpectedVersion, events: ReadonlyArray<NewEvent>, o: AppendOptions = {}): Promise<AppendResult> => {
    ensureOpen("append")
    const bad = checkStreamName(stream)
    if (bad) throw new EventLogError({ op: "append", reason: "Invalid", detail: bad })
    if (expected !== "any" && (!Number.isInteger(expected) || expected < 0)) {
      throw new EventLogError({ op: "append", reason: "Invalid", detail: `expected version must be "any" or an integer >= 0, got ${expected}` })
    }
    // Validate and encode payloads before queueing: a bad event fails alone, touching nothing.
    const encoded = events.map((e) => ({ ...registry.encodeData(e.type, e.data), type: e.type, txn: e.txn, given: e.data }))
    // No second open-check inside: close() refuses new calls at once and drains queued ones.
    return queue.run(async () => {
      const current = await streamVersion(stream)
      if (expected !== "any" && expected !== current) throw new WrongExpectedVersion({ stream, expected, actual: current })
      const at = now().toISOString()
      const ops: KVOp[] = []
      const stored: EventEnvelope[] = []
      let prev = head.hash
      let pos = head.pos
      let seq = current
      const indexKey = streamKeys(stream)
      for (const e of encoded) {
        pos++
        seq++
        const env = { type: e.type, v: e.v, stream, seq, pos, at, ...(e.txn !== undefined ? { txn: e.txn } : {}), data: e.data, prev }
        let bytes: Uint8Array
        try {
          bytes = encodeRecord(env)
        } catch (err) {
          throw new EventLogError({ op: `append ${e.type}`, reason: "Invalid", detail: `payload cannot be encoded: ${(err as Error).message}` })
        }
        ops.push({ type: "put", key: eventKey(pos), value: bytes }, { type: "put", key: indexKey(seq), value: u64be(pos) })
        stored.push({ ...env, data: e.given })
        prev = sha256hex(bytes)
      }
      if (ops.length === 0) return { events: [], version: current, head }
      const next: Head = { pos, hash: prev }
      ops.push({ type: "put", key: HEAD_KEY, value: encodeRecord(next) })
      try {
        await kv.batch(ops, { sync: o.sync ?? syncByDefault })
      } catch (err) {
        throw storageError("append: write batch", opts.path, err)
      }
      head = next
      versions.set(stream, seq)
      waiters.wake()
      const result = { events: stored, version: seq, head }
      opts.onAppend?.(result)
      return result
    })
  }

  async function* readChunks(range: ReadRange = {}): AsyncGenerator<ReadonlyArray<EventEnvelope>> {
    ensureOpen("read")
    const from = Math.max(range.from ?? 1, 0)
    const to = range.to === undefined ? Number.MAX_SAFE_INTEGER : range.to + 1
    if (to <= from) return
    for await (const chunk of kv.entries(eventRange(from, to))) {
      const out = new Array<EventEnvelope>(chunk.length)
      for (let i = 0; i < chunk.length; i++) out[i] = decodeEventBytes(chunk[i]![1], posOfEventKey(chunk[i]![0]), registry)
      if (out.length) yield out
    }
  }

  // Per event for callers that want one at a time (subscribe, `strata log`); replays use chunks.
  async function* readRange(range: ReadRange = {}): AsyncGenerator<EventEnvelope> {
    for await (const chunk of readChunks(range)) yield* chunk
  }

  async function* readStream(stream: string, o: { readonly fromSeq?: number } = {}): AsyncGenerator<EventEnvelope> {
    ensureOpen("read")
    for await (const chunk of kv.entries(streamRange(stream, Math.max(o.fromSeq ?? 1, 1)))) {
      const found = await Promise.all(chunk.map(([, value]) => kv.get(eventKey(readU64be(value)))))
      for (let i = 0; i < chunk.length; i++) {
        const pos = readU64be(chunk[i]![1])
        const seq = readU64be(chunk[i]![0], chunk[i]![0].length - 8)
        const bytes = found[i]
        if (!bytes) throw new EventLogError({ op: `read ${stream}`, reason: "Corrupt", detail: `stream index entry #${seq} points to a missing event`, pos })
        const e = decodeEventBytes(bytes, pos, registry)
        if (e.stream !== stream || e.seq !== seq) {
          throw new EventLogError({ op: `read ${stream}`, reason: "Corrupt", detail: `stream index entry #${seq} points to ${e.stream}#${e.seq}`, pos })
        }
        yield e
      }
    }
  }

  async function* subscribe(fromPos = 1, o: { readonly signal?: AbortSignal } = {}): AsyncGenerator<EventEnvelope> {
    ensureOpen("subscribe")
    let next = Math.max(fromPos, 1)
    while (!closed && !o.signal?.aborted) {
      // Read up to the head as it is now; then everything <= seen has been delivered, even across
      // gaps, and waiting for a head past `seen` cannot spin.
      const seen = head.pos
      if (next <= seen) {
        try {
          for await (const e of readRange({ from: next, to: seen })) {
            if (o.signal?.aborted) return
            yield e
          }
        } catch (err) {
          // The log closing under a subscriber ends the subscription; anything else is an error.
          if (closing) return
          throw err
        }
        next = seen + 1
      }
      await waiters.until(() => closed || head.pos > seen, o.signal)
    }
  }

  return {
    registry,
    append,
    readStream: (stream, o) => readStream(stream, o),
    readRange: (range) => readRange(range),
    readAll: () => readRange(),
    readChunks: (range) => readChunks(range),
    subscribe: (fromPos, o) => subscribe(fromPos, o),
    head: () => head,
    streamVersion: (stream) => {
      ensureOpen("read")
      return queue.run(() => streamVersion(stream))
    },
    // Inside the queue, so no append lands between the walk and the head read.
    verify: () => {
      ensureOpen("verify")
      return queue.run(() => verifyKV(kv, registry))
    },
    close: async () => {
      if (closing) return
      closing = true
      await queue.drain()
      closed = true
      waiters.wake()
      await kv.close()
    },
  }
}
