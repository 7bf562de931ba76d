/**
 * The batch reader (`readChunks`) on both backends: every event once, in position order, in
 * non-empty batches that split where the storage batches do (1000 entries, or 1 MiB: these
 * small events hit the count first); ranges; the empty log; the
 * per-event readers agree with it; and a log whose hash chain was broken behind the reader's back
 * is still read, but `verify` (`strata log verify`) reports it.
 */
import t from "tap"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import {
  TransactionCompleted,
  TransactionStarted,
  eventKey,
  makeMemoryData,
  openEventLog,
  openLevelKV,
  openMemoryEventLog,
  openMemoryKV,
  type EventEnvelope,
  type EventLogHandle,
  type KV,
} from "../../src/events/index.js"
import { decodeRecord, encodeRecord } from "../../src/events/codec.js"

interface Backend {
  readonly open: () => Promise<EventLogHandle>
  readonly raw: () => Promise<KV>
}

const backends: ReadonlyArray<[string, (t: { teardown: (fn: () => void) => void }) => Backend]> = [
  [
    "memory",
    () => {
      const data = makeMemoryData()
      return { open: () => openMemoryEventLog({ data }), raw: async () => openMemoryKV(data) }
    },
  ],
  [
    "leveldb",
    (t) => {
      const path = join(tmp(t, "strata-chunks-"), "log")
      return { open: () => openEventLog(path), raw: () => openLevelKV(path, { create: false }) }
    },
  ],
]

const started = (pid: number) => TransactionStarted.make({ kind: "deploy", argv: ["strata", "deploy"], user: "root", pid })

/** `n` events: two per transaction stream, appended a transaction per batch. */
const seed = async (log: EventLogHandle, n: number): Promise<void> => {
  for (let i = 0; i < n; i += 2) {
    const events = i + 1 < n ? [started(i), TransactionCompleted.make({})] : [started(i)]
    await log.append(`txn-${i / 2}`, 0, events, { sync: false })
  }
}

const chunksOf = async (it: AsyncIterable<ReadonlyArray<EventEnvelope>>): Promise<Array<ReadonlyArray<EventEnvelope>>> => {
  const out: Array<ReadonlyArray<EventEnvelope>> = []
  for await (const c of it) out.push(c)
  return out
}

const positions = (chunks: ReadonlyArray<ReadonlyArray<EventEnvelope>>): number[] => chunks.flatMap((c) => c.map((e) => e.pos))
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(to - from + 1, 0) }, (_, i) => from + i)

for (const [name, make] of backends) {
  t.test(`${name}: every event once, in order, in storage batches`, async (t) => {
    const b = make(t)
    const log = await b.open()
    await seed(log, 2501)
    const chunks = await chunksOf(log.readChunks())
    t.same(positions(chunks), range(1, 2501), "positions 1..2501, each once, ascending")
    t.ok(chunks.every((c) => c.length > 0), "no empty batch")
    t.same(chunks.map((c) => c.length), [1000, 1000, 501], "batches split at 1000 entries")
    // The per-event readers see the very same events.
    const perEvent: EventEnvelope[] = []
    for await (const e of log.readAll()) perEvent.push(e)
    t.same(perEvent, chunks.flat(), "readAll = the batches, flattened")
    t.equal(chunks[0]![1]!.stream, "txn-0")
    t.equal(chunks[2]!.at(-1)!.type, "TransactionStarted")
    await log.close()
  })

  t.test(`${name}: ranges`, async (t) => {
    const log = await make(t).open()
    await seed(log, 1205)
    const pos = async (r: { from?: number; to?: number }) => positions(await chunksOf(log.readChunks(r)))
    t.same(await pos({ from: 999, to: 1002 }), range(999, 1002), "across a batch boundary")
    t.same(await pos({ from: 1000 }), range(1000, 1205), "from a position to the end")
    t.same(await pos({ to: 3 }), [1, 2, 3], "from the start to a position")
    t.same(await pos({ from: 7, to: 7 }), [7], "one event")
    t.same(await pos({ from: 8, to: 7 }), [], "to before from: nothing")
    t.same(await pos({ from: 1206 }), [], "past the head: nothing")
    t.same(await pos({ from: 1200, to: 5000 }), range(1200, 1205), "to past the head stops at the head")
    t.same(await pos({ from: 0, to: 2 }), [1, 2], "from 0 starts at the first event")
    const big = await chunksOf(log.readChunks({ from: 3 }))
    t.same(big.map((c) => c.length), [1000, 203], "a range is batched from its start")
    await log.close()
  })

  t.test(`${name}: the empty log`, async (t) => {
    const log = await make(t).open()
    t.same(await chunksOf(log.readChunks()), [], "no batches at all")
    t.same(await chunksOf(log.readChunks({ from: 1, to: 10 })), [])
    await log.close()
  })

  t.test(`${name}: a broken hash chain is still read, and verify reports it`, async (t) => {
    const b = make(t)
    const log = await b.open()
    await seed(log, 1500)
    await log.close()
    // Edit the payload of pos 1200 in place, keeping it a valid event: only the chain shows it.
    const kv = await b.raw()
    const bytes = await kv.get(eventKey(1200))
    const rec = decodeRecord(bytes!) as { data: { pid: number } }
    rec.data.pid = 424242
    await kv.batch([{ type: "put", key: eventKey(1200), value: encodeRecord(rec) }], { sync: true })
    await kv.close()
    const again = await b.open()
    const chunks = await chunksOf(again.readChunks())
    t.same(positions(chunks), range(1, 1500), "reading does not stop at the edit")
    t.equal((chunks.flat()[1199]!.data as { pid: number }).pid, 424242, "the edited value is what is read")
    const report = await again.verify()
    t.equal(report.ok, false, "verify fails")
    t.match(report.problems[0], { pos: 1200, kind: "edited" }, "and names the edited event")
    await again.close()
  })

  t.test(`${name}: a record stored under another position is an error for the reader`, async (t) => {
    const b = make(t)
    const log = await b.open()
    await seed(log, 1010)
    await log.close()
    const kv = await b.raw()
    const five = await kv.get(eventKey(5))
    await kv.batch([{ type: "put", key: eventKey(1005), value: five! }], { sync: true })
    await kv.close()
    const again = await b.open()
    const err = await chunksOf(again.readChunks()).then(
      () => "did not reject",
      (e: unknown) => e,
    )
    t.match(err, { _tag: "EventLogError", reason: "Corrupt", pos: 1005 })
    t.match((await again.verify()).problems[0], { pos: 1005, kind: "reordered" })
    await again.close()
  })
}
