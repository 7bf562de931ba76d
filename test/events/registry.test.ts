/** Event definitions, the registry's codecs (strict write, lenient read, version upgrades) and the catalog. */
import t from "tap"
import { Schema } from "effect"
import {
  catalog,
  defineEvent,
  defineStep,
  makeRegistry,
  openMemoryEventLog,
  makeMemoryData,
  EventLogError,
  UnknownEventType,
  TransactionStarted,
  TransactionCompleted,
  TransactionAborted,
  TransactionFailed,
  SysrootInitialized,
  Adopted,
  BootRecorded,
  Reconciled,
  txnStream,
  eventLogPath,
  toJsonValue,
} from "../../src/events/index.js"

t.test("the catalog has the design's events, each marked intent or fact", async (t) => {
  const kinds = Object.fromEntries(catalog.defs().map((d) => [d.type, d.kind]))
  // Other modules add their step events; every one is intent or fact, and the core ones are here.
  t.ok(Object.values(kinds).every((k) => k === "intent" || k === "fact"), "every event is intent or fact")
  t.match(kinds, {
    SysrootInitialized: "fact",
    Adopted: "fact",
    BootRecorded: "fact",
    Reconciled: "fact",
    TransactionStarted: "intent",
    TransactionCompleted: "fact",
    TransactionAborted: "fact",
    TransactionFailed: "fact",
  })
  t.same(catalog.defs().filter((d) => d.terminal).map((d) => d.type).sort(), ["TransactionAborted", "TransactionCompleted", "TransactionFailed"])
  t.equal(catalog.get("TransactionStarted"), TransactionStarted)
  t.equal(catalog.get("Nope"), undefined)
  for (const d of [SysrootInitialized, Adopted, BootRecorded, Reconciled, TransactionCompleted, TransactionAborted, TransactionFailed]) t.equal(catalog.get(d.type), d)
  t.equal(txnStream("01ABC"), "txn-01ABC")
  t.equal(eventLogPath("/sysroot"), "/sysroot/ostree/strata/log")
  t.equal(eventLogPath("/"), "/ostree/strata/log")
})

t.test("payloads are checked strictly on write", async (t) => {
  t.same(catalog.encodeData("TransactionAborted", { reason: "r", undone: ["a"] }), { v: 1, data: { reason: "r", undone: ["a"] } })
  t.throws(() => catalog.encodeData("TransactionAborted", { reason: "r" }), EventLogError)
  t.throws(() => catalog.encodeData("TransactionAborted", { reason: "r", undone: [], more: 1 }), { reason: "Invalid", message: /excess/ })
  t.throws(() => catalog.encodeData("TransactionStarted", { kind: "k", argv: [], user: "u", pid: 1.5 }), { reason: "Invalid", message: /integer/ }, "pid must be an integer")
  t.throws(() => catalog.encodeData("Nope", {}), UnknownEventType)
  t.same(
    catalog.encodeData("Adopted", { bootversion: 0, subbootversion: 1, deployments: [{ stateroot: "os", checksum: "ab", serial: 0, pinned: false, staged: false }] }).v,
    1,
  )
})

t.test("reads are lenient about extra keys but not about wrong types or unknown versions", async (t) => {
  t.same(catalog.decodeData("TransactionFailed", 1, { error: "boom", addedLater: true }), { error: "boom" })
  t.throws(() => catalog.decodeData("TransactionFailed", 1, { error: 5 }, 9), { reason: "Corrupt", pos: 9, message: /at pos 9/ })
  t.throws(() => catalog.decodeData("TransactionFailed", 2, { error: "x" }, 3), { _tag: "UnknownEventType", v: 2, message: /unsupported version 2 of event type "TransactionFailed" at pos 3/ })
  t.throws(() => catalog.decodeData("Gone", 1, {}, 4), { _tag: "UnknownEventType", reason: "Unsupported", message: /unknown event type "Gone" at pos 4/ })
})

t.test("older versions are upgraded on read", async (t) => {
  const V1 = defineEvent("Renamed", { kind: "fact", data: Schema.Struct({ name: Schema.String }) })
  const V2 = defineEvent("Renamed", {
    kind: "fact",
    v: 2,
    data: Schema.Struct({ first: Schema.String, last: Schema.String }),
    older: { 1: { data: Schema.Struct({ name: Schema.String }), up: (d) => { const [first = "", last = ""] = (d as { name: string }).name.split(" "); return { first, last } } } },
  })
  // Write with a build that knows only v1, read with one that knows v2.
  const data = makeMemoryData()
  const old = await openMemoryEventLog({ data, registry: makeRegistry([V1]) })
  await old.append("s", 0, [V1.make({ name: "Ada Lovelace" })])
  await old.close()
  const now = await openMemoryEventLog({ data, registry: makeRegistry([V2]) })
  await now.append("s", 1, [V2.make({ first: "Grace", last: "Hopper" })])
  const read = []
  for await (const e of now.readAll()) read.push([e.v, e.data])
  t.same(read, [[1, { first: "Ada", last: "Lovelace" }], [2, { first: "Grace", last: "Hopper" }]])
  await now.close()
  t.throws(() => defineEvent("Bad", { kind: "fact", v: 2, data: Schema.Struct({}), older: { 2: { data: Schema.Struct({}), up: (d) => d } } }), /older version 2/)
})

t.test("step events carry an optional machine snapshot", async (t) => {
  // Names of our own: the catalog already defines the real deploy steps.
  const DeployRequested = defineStep("ToyDeployRequested", "intent", { ref: Schema.String })
  const DeploymentWritten = defineStep("ToyDeploymentWritten", "fact", { path: Schema.String })
  t.equal(DeployRequested.kind, "intent")
  t.equal(DeploymentWritten.kind, "fact")
  t.equal(DeployRequested.step, true)
  t.equal(TransactionStarted.step, false)
  const reg = catalog.with([DeployRequested, DeploymentWritten])
  const snapshot = { status: "active", value: { deploying: "checkout" }, context: { n: 1n, list: [1, 2] } }
  t.same(reg.encodeData("ToyDeployRequested", { ref: "os/x86_64", snapshot }).data, { ref: "os/x86_64", snapshot })
  t.same(reg.encodeData("ToyDeploymentWritten", { path: "/d" }).data, { path: "/d" }, "the snapshot is optional")
  t.throws(() => reg.encodeData("ToyDeploymentWritten", { snapshot: {} }), { reason: "Invalid", message: /path/ }, "step fields are still required")
  const log = await openMemoryEventLog({ registry: reg })
  await log.append("txn-1", 0, [DeployRequested.make({ ref: "os/x86_64", snapshot }, { txn: "1" })])
  for await (const e of log.readStream("txn-1")) {
    t.ok(DeployRequested.is(e))
    t.notOk(DeploymentWritten.is(e))
    if (DeployRequested.is(e)) t.same(e.data.snapshot, snapshot)
    t.equal(e.txn, "1")
  }
  await log.close()
})

t.test("a type defined twice is refused", async (t) => {
  t.throws(() => catalog.with([defineEvent("TransactionStarted", { kind: "fact", data: Schema.Struct({}) })]), /defined twice/)
})

t.test("JSON view keeps bigints and bytes readable", async (t) => {
  t.same(toJsonValue({ a: 2n ** 70n, b: Uint8Array.of(1, 255), c: [new Date(0)], d: undefined, e: null }), { a: "1180591620717411303424", b: "01ff", c: ["1970-01-01T00:00:00.000Z"], e: null })
})
