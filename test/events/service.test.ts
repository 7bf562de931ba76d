/** The Effect face: EventLog service layers (memory and LevelDB), typed errors, Streams, scoping. */
import t from "tap"
import { join } from "node:path"
import { Effect, Fiber, Stream } from "effect"
import { tmp } from "../helpers/tmp.js"
import { EventLog, openEventLog, TransactionStarted, TransactionCompleted, makeMemoryData } from "../../src/events/index.js"

const started = (pid: number) => TransactionStarted.make({ kind: "rollback", argv: [], user: "root", pid })

/** Appends, reads back by stream and by range, and verifies; the same program for every layer. */
const roundTrip = Effect.gen(function* () {
  const log = yield* EventLog
  yield* log.append("txn-1", 0, [started(1), TransactionCompleted.make({})])
  yield* log.append("txn-2", 0, [started(2)], { sync: false })
  const conflict = yield* Effect.flip(log.append("txn-1", 0, [started(3)]))
  const stream = yield* Stream.runCollect(log.readStream("txn-1"))
  const range = yield* Stream.runCollect(log.readRange({ from: 2 }))
  const all = yield* Stream.runCollect(log.readAll())
  const chunks = yield* Stream.runCollect(log.readChunks({ from: 2 }))
  const head = yield* log.head
  const version = yield* log.streamVersion("txn-1")
  const report = yield* log.verify
  return { conflict, stream, range, all, chunks, head, version, report }
})

for (const [name, layer] of [
  ["layerMemory", EventLog.layerMemory],
  ["layer(path)", EventLog.layer(join(tmp(t, "strata-svc-"), "log"))],
] as const) {
  t.test(`${name}: append, read, typed errors, verify`, async (t) => {
    const r = await Effect.runPromise(Effect.provide(roundTrip, layer))
    t.equal(r.conflict._tag, "WrongExpectedVersion")
    t.match(r.conflict, { stream: "txn-1", expected: 0, actual: 2, reason: "AlreadyExists" })
    t.same(r.stream.map((e) => e.seq), [1, 2])
    t.same(r.range.map((e) => e.pos), [2, 3])
    t.same(r.all.map((e) => e.type), ["TransactionStarted", "TransactionCompleted", "TransactionStarted"])
    t.same([...r.chunks].map((c) => c.map((e) => e.pos)), [[2, 3]], "one batch of decoded events")
    t.equal(r.head.pos, 3)
    t.equal(r.version, 2)
    t.equal(r.report.ok, true)
  })
}

t.test("subscribe as a Stream: existing then live events; interrupting ends it", async (t) => {
  const program = Effect.gen(function* () {
    const log = yield* EventLog
    yield* log.append("a", 0, [started(1)])
    const three = yield* Effect.forkChild(Stream.runCollect(Stream.take(log.subscribe(1), 3)))
    const forever = yield* Effect.forkChild(Stream.runCollect(log.subscribe(1)))
    yield* log.append("a", 1, [started(2)])
    yield* log.append("b", 0, [started(3)])
    const got = yield* Fiber.join(three)
    // The unbounded subscriber is parked waiting for pos 4; interrupting it must not hang.
    yield* Fiber.interrupt(forever)
    return got.map((e) => e.pos)
  })
  t.same(await Effect.runPromise(Effect.provide(program, EventLog.layerMemory)), [1, 2, 3])
})

t.test("layer(path) holds the LevelDB open for its scope and closes it after", async (t) => {
  const path = join(tmp(t, "strata-svc-"), "log")
  const inside = Effect.gen(function* () {
    const log = yield* EventLog
    yield* log.append("s", 0, [started(1)])
    // While the layer is alive the LOCK is held.
    return yield* Effect.promise(() => openEventLog(path, { lockWaitMs: 0 }).then(() => "opened", (e: { reason?: string }) => e.reason))
  })
  t.equal(await Effect.runPromise(Effect.provide(inside, EventLog.layer(path))), "Locked")
  const after = await openEventLog(path, { lockWaitMs: 0 })
  t.equal(after.head().pos, 1, "released: a plain open now succeeds and sees the event")
  await after.close()
})

t.test("layer errors are typed: opening a missing log read-only fails with NotFound", async (t) => {
  const path = join(tmp(t, "strata-svc-"), "absent")
  const exit = await Effect.runPromise(Effect.exit(Effect.provide(Effect.gen(function* () { return yield* EventLog }), EventLog.layer(path, { create: false }))))
  t.equal(exit._tag, "Failure")
  t.match(JSON.stringify(exit), /NotFound/)
})

t.test("layerMemoryWith shares data between layers, like reopening a directory", async (t) => {
  const data = makeMemoryData()
  const write = Effect.gen(function* () {
    const log = yield* EventLog
    return (yield* log.append("s", "any", [started(1)])).head.pos
  })
  t.equal(await Effect.runPromise(Effect.provide(write, EventLog.layerMemoryWith({ data }))), 1)
  t.equal(await Effect.runPromise(Effect.provide(write, EventLog.layerMemoryWith({ data }))), 2)
  t.equal(await Effect.runPromise(Effect.provide(write, EventLog.layerMemory)), 1, "layerMemory starts empty")
})
