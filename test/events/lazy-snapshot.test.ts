/**
 * Reading step events with the machine snapshot decoded on first access (snapshot-lazy.ts) and
 * the hand-written envelope check (envelope-check.ts): both must answer exactly as the eager
 * decode and the `Envelope` schema do — the same values, the same errors — and fall back to
 * the eager path on anything the walk does not fully understand.
 */
import t from "tap"
import * as Schema from "effect/Schema"
import { catalog, defineStep, openMemoryEventLog, type EventEnvelope } from "../../src/events/index.js"
import { decodeRecord, encodeRecord } from "../../src/events/codec.js"
import { Envelope } from "../../src/events/envelope.js"
import { checkEnvelope } from "../../src/events/envelope-check.js"
import { decodeEventBytes, decodeEventBytesEager } from "../../src/events/record.js"
import { locateSnapshot } from "../../src/events/snapshot-lazy.js"

const Step = defineStep("TestLazyStep", "fact", { name: Schema.String, n: Schema.Number })
const registry = catalog.with([Step])

const prev = "0".repeat(64)
const record = (data: unknown, extra: Record<string, unknown> = {}) => ({ type: Step.type, v: 1, stream: "txn-1", seq: 1, pos: 1, at: "2024-01-01T00:00:00.000Z", txn: "1", data, prev, ...extra })

/** Snapshots covering every MessagePack form the walk skips: fix/8/16/32 strings, arrays, maps, numbers. */
const snapshots: Record<string, unknown> = {
  small: { status: "active", value: "swap", context: { a: 1, b: [true, false, null] } },
  numbers: { ints: [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31) - 1], floats: [0.5, -1.25, 1e300] },
  strings: { s31: "x".repeat(31), s32: "y".repeat(32), s255: "z".repeat(255), s256: "w".repeat(256), s70k: "v".repeat(70_000), utf8: "ünïcødé ✓" },
  wide: { arr16: Array.from({ length: 20 }, (_, i) => i), map16: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, { i }])), arr32: Array.from({ length: 70_000 }, (_, i) => i % 3) },
  nested: { a: { b: { c: { d: { e: { f: [[[[{ g: "deep" }]]]] } } } } } },
  bytes: { bin: new Uint8Array([1, 2, 3]), big: new Uint8Array(300) },
}

t.test("lazy and eager decodes agree; the snapshot is there for JSON, spread and access", async (t) => {
  for (const [name, snapshot] of Object.entries(snapshots)) {
    const bytes = encodeRecord(record({ name, n: 1, snapshot }))
    t.ok(locateSnapshot(bytes), `${name}: the walk finds the snapshot`)
    const lazy = decodeEventBytes(bytes, 1, registry)
    const eager = decodeEventBytesEager(bytes, 1, registry)
    t.same(lazy, eager, `${name}: same event`)
    t.same((lazy.data as { snapshot: unknown }).snapshot, decodeRecord(encodeRecord(snapshot)), `${name}: same snapshot`)
    t.equal(JSON.stringify(lazy), JSON.stringify(eager), `${name}: same JSON`)
    t.same({ ...(lazy.data as object) }, eager.data, `${name}: spread carries the snapshot`)
  }
})

t.test("records the walk does not take are decoded eagerly, with the same result or error", async (t) => {
  const cases: Record<string, Uint8Array> = {
    "no snapshot": encodeRecord(record({ name: "x", n: 1 })),
    "nil snapshot": encodeRecord(record({ name: "x", n: 1, snapshot: null })),
    "bigint in the snapshot (an extension type)": encodeRecord(record({ name: "x", n: 1, snapshot: { big: 2n ** 70n } })),
    "a non-step event with a snapshot key": encodeRecord({ ...record({ kind: "deploy", argv: [], user: "u", pid: 1, snapshot: { a: 1 } }), type: "TransactionStarted" }),
    "an older payload version": encodeRecord(record({ name: "x", n: 1, snapshot: {} }, { v: 2 })),
    "data that is not a map": encodeRecord(record("text")),
  }
  for (const [name, bytes] of Object.entries(cases)) {
    const run = (f: typeof decodeEventBytes) => {
      try {
        return f(bytes, 1, registry)
      } catch (e) {
        return { error: (e as { _tag?: string })._tag, reason: (e as { reason?: string }).reason }
      }
    }
    t.same(run(decodeEventBytes), run(decodeEventBytesEager), name)
  }
  // Duplicate keys and trailing bytes: msgpackr has its own answer; the walk gives up and defers.
  const one = encodeRecord(record({ name: "x", n: 1, snapshot: { a: 1 } }))
  t.equal(locateSnapshot(Buffer.concat([one, Buffer.from([0x01])])), undefined, "trailing bytes")
  t.equal(locateSnapshot(one.subarray(0, one.length - 3)), undefined, "a truncated record")
  // A payload with the key twice, made by hand: {snapshot: 1, snapshot: {a: 1}}.
  const twice = Buffer.from(encodeRecord(record({ name: "x", n: 1, snapshoT: 1, snapshot: { a: 1 } })))
  twice.set(Buffer.from("snapshot"), twice.indexOf(Buffer.from("snapshoT")))
  t.equal(locateSnapshot(twice), undefined, "a duplicate snapshot key")
})

t.test("a corrupt snapshot is a Corrupt read error naming the position, as before", async (t) => {
  const bytes = Buffer.from(encodeRecord(record({ name: "x", n: 1, snapshot: { a: "b" } })))
  // 0xc1 is never used in MessagePack: put it where the snapshot's value "b" is.
  bytes[bytes.lastIndexOf(0x62)] = 0xc1
  bytes[bytes.lastIndexOf(0xa1)] = 0xc1
  const err = (() => {
    try {
      decodeEventBytes(bytes, 1, registry)
      return "no error"
    } catch (e) {
      return e
    }
  })()
  t.match(err, { _tag: "EventLogError", reason: "Corrupt", pos: 1 })
})

t.test("through the store: recovery-style access to the last step's snapshot", async (t) => {
  const log = await openMemoryEventLog({ registry })
  const snap = { status: "active", value: "swap", context: { list: [1, 2, 3] } }
  await log.append("txn-1", 0, [Step.make({ name: "a", n: 1, snapshot: snap }, { txn: "1" }), Step.make({ name: "b", n: 2 }, { txn: "1" })])
  const read: EventEnvelope[] = []
  for await (const c of log.readChunks()) read.push(...c)
  const last = [...read].reverse().find((e) => (e.data as { snapshot?: unknown }).snapshot !== undefined)
  t.same((last!.data as { snapshot: unknown }).snapshot, snap)
  t.notOk("snapshot" in (read[1]!.data as object), "no snapshot key where none was written")
  await log.close()
})

t.test("the envelope check answers as the Envelope schema does", async (t) => {
  const schema = Schema.decodeUnknownSync(Envelope)
  const ok = record({ x: 1 }, { extra: "dropped" })
  const { txn: _, ...noTxn } = ok
  const { data: __, ...noData } = ok
  const cases: unknown[] = [
    ok, noTxn, noData, { ...ok, data: undefined }, { ...ok, txn: undefined }, { ...ok, txn: 5 }, { ...ok, type: 3 }, { ...ok, v: 0 }, { ...ok, v: 1.5 },
    { ...ok, v: "1" }, { ...ok, seq: -1 }, { ...ok, pos: 2 ** 60 }, { ...ok, pos: Number.NaN }, { ...ok, pos: 2n }, { ...ok, at: 1 }, { ...ok, stream: null },
    { ...ok, prev: "A".repeat(64) }, { ...ok, prev: "0".repeat(63) }, { ...ok, prev: 0 }, null, [1, 2], "text", 5,
  ]
  for (const c of cases) {
    let want: unknown
    try {
      want = schema(c)
    } catch (e) {
      want = String((e as Error).message).replace(/\s*\n\s*/g, " ")
    }
    t.same(checkEnvelope(c), want, JSON.stringify(c, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))?.slice(0, 80) ?? String(c))
  }
})
