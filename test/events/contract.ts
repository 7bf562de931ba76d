/**
 * The contract every event-log backend must meet, run against LevelDB and memory by
 * contract.test.ts. A backend opens a log over its data, and gives raw KV access to that same
 * data (with the log closed) so tests can tamper with stored records the way an attacker or a
 * bad disk would.
 */
import t from "tap"
import { Schema } from "effect"
import {
  TransactionAborted,
  TransactionCompleted,
  TransactionStarted,
  WrongExpectedVersion,
  EventLogError,
  catalog,
  defineEvent,
  eventKey,
  streamKey,
  HEAD_KEY,
  type EventLogHandle,
  type KV,
  type StoreOptions,
} from "../../src/events/index.js"
import { decodeRecord, encodeRecord } from "../../src/events/codec.js"

/** Tampering works on the raw MessagePack record, as an attacker with a msgpack tool would. */
type RawEnvelope = Record<string, unknown> & { data: Record<string, unknown>; pos: number }
const decodeRaw = (b: Uint8Array): RawEnvelope => decodeRecord(b) as RawEnvelope

export interface Backend {
  /** Opens a log over this backend's data (fresh on the first call, the same data afterwards). */
  readonly open: (opts?: StoreOptions) => Promise<EventLogHandle>
  /** Raw KV over the same data; the log must be closed. */
  readonly raw: () => Promise<KV>
}

/** A test event carrying the awkward types: bigint (small and > 64 bits), bytes, nesting. */
export const Blob = defineEvent("TestBlob", {
  kind: "fact",
  data: Schema.Struct({ n: Schema.BigInt, huge: Schema.BigInt, bytes: Schema.Uint8Array, nested: Schema.Struct({ list: Schema.Array(Schema.Number) }) }),
})
export const registry = catalog.with([Blob])

const started = (pid = 1) => TransactionStarted.make({ kind: "deploy", argv: ["strata", "deploy", "x"], user: "root", pid })

/** The rejection of `p`, or a marker the match will fail on. */
const rejection = (p: Promise<unknown>): Promise<unknown> => p.then(() => "did not reject", (e: unknown) => e)

const collect = async <A>(it: AsyncIterable<A>): Promise<A[]> => {
  const out: A[] = []
  for await (const x of it) out.push(x)
  return out
}

/** Appends `n` single-event transactions to streams txn-0..txn-(n-1); returns the log closed. */
const seed = async (b: Backend, n: number): Promise<void> => {
  const log = await b.open({ registry })
  for (let i = 0; i < n; i++) await log.append(`txn-${i}`, 0, [started(i)])
  await log.close()
}

const withRaw = async (b: Backend, f: (kv: KV) => Promise<void>): Promise<void> => {
  const kv = await b.raw()
  try {
    await f(kv)
  } finally {
    await kv.close()
  }
}

const verifyOf = async (b: Backend) => {
  const log = await b.open({ registry })
  try {
    return await log.verify()
  } finally {
    await log.close()
  }
}

export const contract = (name: string, makeBackend: (t: { teardown: (fn: () => void) => void }) => Backend): void => {
  t.test(`${name}: append and read round trip`, async (t) => {
    const b = makeBackend(t)
    const log = await b.open({ registry, now: () => new Date("2030-01-02T03:04:05.000Z") })
    const bytes = Uint8Array.from([0, 1, 2, 254, 255])
    const r = await log.append("txn-a", 0, [started(7), Blob.make({ n: 5n, huge: 2n ** 100n + 1n, bytes, nested: { list: [1.5, -2] } }), TransactionCompleted.make({})])
    t.same(r.events.map((e) => [e.pos, e.seq, e.stream]), [[1, 1, "txn-a"], [2, 2, "txn-a"], [3, 3, "txn-a"]])
    t.equal(r.version, 3)
    t.equal(r.head.pos, 3)
    t.equal(r.events[0]!.prev, "0".repeat(64), "the first event chains from genesis")
    await log.append("system", 0, [TransactionAborted.make({ reason: "test", undone: ["/a", "/b"] }, { txn: "a" })])
    await log.close()

    // Read back from storage (a fresh open), not from any in-memory copy.
    const again = await b.open({ registry })
    const all = await collect(again.readAll())
    t.same(all.map((e) => e.type), ["TransactionStarted", "TestBlob", "TransactionCompleted", "TransactionAborted"])
    t.same(all[0]!.data, { kind: "deploy", argv: ["strata", "deploy", "x"], user: "root", pid: 7 })
    t.equal(all[0]!.at, "2030-01-02T03:04:05.000Z")
    t.equal(all[0]!.v, 1)
    const blob = all[1]!
    t.ok(Blob.is(blob))
    if (Blob.is(blob)) {
      t.equal(blob.data.n, 5n)
      t.equal(typeof blob.data.n, "bigint")
      t.equal(blob.data.huge, 2n ** 100n + 1n, "bigint beyond 64 bits survives")
      t.ok(blob.data.bytes instanceof Uint8Array)
      t.equal(Buffer.from(blob.data.bytes).toString("hex"), "000102feff")
      t.same(blob.data.nested, { list: [1.5, -2] })
    }
    t.equal(all[3]!.txn, "a")
    t.equal(all[3]!.stream, "system")
    t.equal(all[3]!.seq, 1)
    t.same((await collect(again.readStream("txn-a"))).map((e) => e.seq), [1, 2, 3])
    t.same((await collect(again.readStream("txn-a", { fromSeq: 2 }))).map((e) => e.pos), [2, 3])
    t.same((await collect(again.readStream("nope"))).length, 0)
    t.same((await collect(again.readRange({ from: 2, to: 3 }))).map((e) => e.pos), [2, 3])
    t.same((await collect(again.readRange({ from: 4 }))).map((e) => e.pos), [4])
    t.equal(await again.streamVersion("txn-a"), 3)
    t.equal(await again.streamVersion("system"), 1)
    t.equal(await again.streamVersion("nope"), 0)
    // Each prev is the hash of the previous record's stored bytes.
    t.equal(all[1]!.prev, r.events[1]!.prev)
    t.not(all[1]!.prev, all[2]!.prev)
    t.equal((await again.verify()).ok, true)
    await again.close()
  })

  t.test(`${name}: expected version is checked`, async (t) => {
    const b = makeBackend(t)
    const log = await b.open({ registry })
    await log.append("s", 0, [started()])
    await t.rejects(log.append("s", 0, [started()]), WrongExpectedVersion, "stream already has an event")
    t.match(await rejection(log.append("s", 5, [started()])), { name: "WrongExpectedVersion", actual: 1, expected: 5 })
    t.match(await rejection(log.append("t", 1, [started()])), { _tag: "WrongExpectedVersion", actual: 0 }, "new stream is at version 0")
    const ok = await log.append("s", 1, [TransactionCompleted.make({})])
    t.equal(ok.version, 2)
    const any = await log.append("s", "any", [TransactionCompleted.make({})])
    t.equal(any.version, 3)
    // A refused append leaves nothing behind.
    t.equal(log.head().pos, 3)
    t.equal((await collect(log.readAll())).length, 3)
    const err = await log.append("s", 0, [started()]).catch((e: unknown) => e)
    t.equal((err as WrongExpectedVersion).reason, "AlreadyExists")
    t.match((err as Error).message, /stream s is at version 3, expected 0/)
    await log.close()
  })

  t.test(`${name}: bad input is refused before anything is written`, async (t) => {
    const b = makeBackend(t)
    const log = await b.open({ registry })
    t.match(await rejection(log.append("s", 0, [{ type: "NoSuchEvent", data: {} }])), { _tag: "UnknownEventType", reason: "Unsupported" })
    t.match(await rejection(log.append("s", 0, [{ type: "TransactionStarted", data: { kind: "x" } }])), { _tag: "EventLogError", reason: "Invalid" })
    await t.rejects(
      log.append("s", 0, [{ type: "TransactionFailed", data: { error: "x", extra: 1 } }]),
      { reason: "Invalid", message: /excess/ },
      "unknown payload keys are an error on write",
    )
    await t.rejects(log.append("", 0, [started()]), EventLogError)
    t.match(await rejection(log.append("a\0b", 0, [started()])), { reason: "Invalid" })
    t.match(await rejection(log.append("s", -1, [started()])), { reason: "Invalid" })
    // A valid event in the same call does not get written either.
    t.match(await rejection(log.append("s", 0, [started(), { type: "TransactionFailed", data: {} }])), { reason: "Invalid" })
    t.equal(log.head().pos, 0)
    t.equal(await log.streamVersion("s"), 0)
    const empty = await log.append("s", 0, [])
    t.same(empty.events, [])
    t.equal(log.head().pos, 0)
    await log.close()
    t.match(await rejection(log.append("s", "any", [started()])), { reason: "Io", message: /closed/ }, "no appends after close")
  })

  t.test(`${name}: concurrent appends are serialized`, async (t) => {
    const b = makeBackend(t)
    const log = await b.open({ registry })
    const N = 40
    // Same stream, "any": every append lands, each after the previous.
    const results = await Promise.all(Array.from({ length: N }, (_, i) => log.append(i % 2 ? "odd" : "even", "any", [started(i), TransactionCompleted.make({})], { sync: i % 5 === 0 })))
    const positions = results.flatMap((r) => r.events.map((e) => e.pos)).sort((a, b) => a - b)
    t.same(positions, Array.from({ length: 2 * N }, (_, i) => i + 1), "positions are 1..2N with no gap or duplicate")
    // Submission order is preserved: append i got positions 2i+1, 2i+2.
    t.same(results.map((r) => r.events[0]!.pos), Array.from({ length: N }, (_, i) => 2 * i + 1))
    t.same(results.filter((_, i) => i % 2 === 0).map((r) => r.version), Array.from({ length: N / 2 }, (_, i) => 2 * i + 2))
    // Same stream, same expected version: exactly one wins.
    const race = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => log.append("race", 0, [started(i)])))
    t.equal(race.filter((r) => r.status === "fulfilled").length, 1)
    t.ok(race.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason instanceof WrongExpectedVersion))
    const report = await log.verify()
    t.equal(report.ok, true, JSON.stringify(report.problems))
    t.equal(report.events, 2 * N + 1)
    t.equal(report.streams, 3)
    await log.close()
  })

  t.test(`${name}: reopen keeps positions, versions and the chain`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 3)
    const log = await b.open({ registry })
    t.same(log.head().pos, 3)
    const lastPrevHead = log.head().hash
    t.equal(await log.streamVersion("txn-1"), 1)
    const r = await log.append("txn-1", 1, [TransactionCompleted.make({})])
    t.equal(r.events[0]!.pos, 4)
    t.equal(r.events[0]!.seq, 2)
    t.equal(r.events[0]!.prev, lastPrevHead, "the chain continues from the stored head")
    await t.rejects(log.append("txn-2", 0, [started()]), WrongExpectedVersion, "versions come from storage after reopen")
    t.equal((await log.verify()).ok, true)
    await log.close()
  })

  t.test(`${name}: onAppend runs after each durable append, before the caller resumes`, async (t) => {
    const b = makeBackend(t)
    const seen: number[][] = []
    const log = await b.open({ registry, onAppend: (r) => seen.push(r.events.map((e) => e.pos)) })
    const first = log.append("a", 0, [started(1), started(2)])
    const refused = log.append("a", 0, [started(3)]).catch(() => "refused")
    await first
    t.same(seen, [[1, 2]], "the hook saw the append before its promise resolved")
    t.equal(await refused, "refused")
    t.same(seen, [[1, 2]], "a refused append does not reach the hook")
    await log.close()
  })

  t.test(`${name}: an unreadable head record does not stop the log from opening`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 2)
    await withRaw(b, (kv) => kv.batch([{ type: "put", key: HEAD_KEY, value: Uint8Array.of(0xc1) }], { sync: false }))
    const log = await b.open({ registry })
    t.equal(log.head().pos, 2, "appends continue after the last record")
    t.same((await log.verify()).problems.map((p) => p.kind), ["head"])
    await log.close()
  })

  t.test(`${name}: subscription delivers existing then live events`, async (t) => {
    const b = makeBackend(t)
    const log = await b.open({ registry })
    await log.append("a", 0, [started(1), started(2)])
    const it = log.subscribe(2)[Symbol.asyncIterator]()
    t.equal((await it.next()).value?.pos, 2, "starts at fromPos")
    const pending = it.next()
    await log.append("b", 0, [started(3)])
    t.equal((await pending).value?.pos, 3, "an append wakes the subscriber")
    await log.append("b", 1, [started(4), started(5)])
    t.equal((await it.next()).value?.pos, 4)
    t.equal((await it.next()).value?.pos, 5)

    // Two subscribers see the same events; aborting one ends it.
    const ac = new AbortController()
    const other = log.subscribe(1, { signal: ac.signal })[Symbol.asyncIterator]()
    t.equal((await other.next()).value?.pos, 1)
    const waiting = it.next()
    const otherSeen: number[] = []
    for (let i = 0; i < 4; i++) otherSeen.push((await other.next()).value!.pos)
    t.same(otherSeen, [2, 3, 4, 5])
    const otherWaiting = other.next()
    ac.abort()
    t.equal((await otherWaiting).done, true, "abort ends a waiting subscription")
    await log.append("c", 0, [started(6)])
    t.equal((await waiting).value?.pos, 6)
    const last = it.next()
    await log.close()
    t.equal((await last).done, true, "closing the log ends subscriptions")
  })

  t.test(`${name}: verify catches an edited event`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 5)
    t.equal((await verifyOf(b)).ok, true, "clean before tampering")
    await withRaw(b, async (kv) => {
      const bytes = (await kv.get(eventKey(3)))!
      const env = decodeRaw(bytes)
      env.data.pid = 999
      await kv.batch([{ type: "put", key: eventKey(3), value: encodeRecord(env) }], { sync: false })
    })
    const report = await verifyOf(b)
    t.equal(report.ok, false)
    t.same(report.problems.map((p) => [p.kind, p.pos]), [["edited", 3]])
    t.match(report.problems[0]!.message, /pos 3: .*edited/)
  })

  t.test(`${name}: verify catches an edited last event (via the head record)`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 3)
    await withRaw(b, async (kv) => {
      const env = decodeRaw((await kv.get(eventKey(3)))!)
      env.data["user"] = "mallory"
      await kv.batch([{ type: "put", key: eventKey(3), value: encodeRecord(env) }], { sync: false })
    })
    const report = await verifyOf(b)
    t.same(report.problems.map((p) => [p.kind, p.pos]), [["edited", 3]])
  })

  t.test(`${name}: verify catches a removed event`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 6)
    await withRaw(b, (kv) => kv.batch([{ type: "del", key: eventKey(4) }, { type: "del", key: streamKey("txn-3", 1) }], { sync: false }))
    const report = await verifyOf(b)
    t.same(report.problems.map((p) => [p.kind, p.pos]), [["removed", 4]], "one removal is one problem")
    t.match(report.problems[0]!.message, /pos 4: event removed/)
  })

  t.test(`${name}: verify catches reordered events`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 6)
    await withRaw(b, async (kv) => {
      const [a, c] = [(await kv.get(eventKey(3)))!, (await kv.get(eventKey(4)))!]
      await kv.batch([{ type: "put", key: eventKey(3), value: c }, { type: "put", key: eventKey(4), value: a }], { sync: false })
    })
    const report = await verifyOf(b)
    t.same(report.problems.map((p) => [p.kind, p.pos]), [["reordered", 3], ["reordered", 4]])
    t.match(report.problems[0]!.message, /pos 3: holds the event of pos 4/)
    // Readers refuse a record stored under the wrong position.
    const log = await b.open({ registry })
    t.match(await rejection(collect(log.readAll())), { _tag: "EventLogError", reason: "Corrupt", pos: 3 })
    await log.close()
  })

  t.test(`${name}: verify catches reordering that rewrote the positions`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 6)
    await withRaw(b, async (kv) => {
      const e3 = decodeRaw((await kv.get(eventKey(3)))!)
      const e4 = decodeRaw((await kv.get(eventKey(4)))!)
      await kv.batch([{ type: "put", key: eventKey(3), value: encodeRecord({ ...e4, pos: 3 }) }, { type: "put", key: eventKey(4), value: encodeRecord({ ...e3, pos: 4 }) }], { sync: false })
    })
    const report = await verifyOf(b)
    // Both ends of the swapped pair break the chain: after pos 2, and again before pos 5.
    t.same(report.problems.map((p) => [p.kind, p.pos]), [["edited", 2], ["edited", 4]])
    t.match(report.problems[0]!.message, /pos 3 replaced/)
  })

  t.test(`${name}: verify catches a truncated tail`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 6)
    await withRaw(b, (kv) => kv.batch([5, 6].map((p) => ({ type: "del" as const, key: eventKey(p) })), { sync: false }))
    const report = await verifyOf(b)
    t.same(report.problems.map((p) => [p.kind, p.pos]), [["truncated", 5]])
    t.match(report.problems[0]!.message, /ends at pos 4 but the head record says 6: 2 event\(s\) cut/)
    t.equal(report.lastPos, 4)
    // Appending after the loss keeps the evidence: new events continue after the old head.
    const log = await b.open({ registry })
    const r = await log.append("later", 0, [started()])
    t.equal(r.events[0]!.pos, 7)
    const after = await log.verify()
    t.same(after.problems.map((p) => [p.kind, p.pos]), [["removed", 5]])
    await log.close()
  })

  t.test(`${name}: verify catches a missing head record and a broken index`, async (t) => {
    const b = makeBackend(t)
    await seed(b, 3)
    await withRaw(b, (kv) => kv.batch([{ type: "del", key: HEAD_KEY }], { sync: false }))
    t.same((await verifyOf(b)).problems.map((p) => p.kind), ["head"])
    const c = makeBackend(t)
    await seed(c, 3)
    await withRaw(c, (kv) => kv.batch([{ type: "del", key: streamKey("txn-1", 1) }], { sync: false }))
    const report = await verifyOf(c)
    t.same(report.problems.map((p) => p.kind), ["index"])
    const d = makeBackend(t)
    await seed(d, 3)
    await withRaw(d, (kv) => kv.batch([{ type: "put", key: eventKey(2), value: Uint8Array.of(0xc1) }], { sync: false }))
    t.same((await verifyOf(d)).problems.map((p) => [p.kind, p.pos]), [["corrupt", 2]])
  })

  t.test(`${name}: unknown event types on read are a clear error`, async (t) => {
    const b = makeBackend(t)
    const log = await b.open({ registry })
    await log.append("x", 0, [Blob.make({ n: 1n, huge: 2n, bytes: new Uint8Array(0), nested: { list: [] } })])
    await log.close()
    const plain = await b.open() // the default catalog has no TestBlob
    const err = await collect(plain.readAll()).catch((e: unknown) => e)
    t.match(err, { _tag: "UnknownEventType", type: "TestBlob", pos: 1, reason: "Unsupported" })
    t.match((err as Error).message, /unknown event type "TestBlob" at pos 1/)
    const report = await plain.verify()
    t.same(report.problems.map((p) => p.kind), ["schema"], "verify reports it too")
    await plain.close()
  })
}

export { collect, started }
