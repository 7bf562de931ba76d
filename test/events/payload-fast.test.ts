/**
 * The payload decoders' fast path (payload-fast.ts) against Effect's own decoder: every catalog
 * payload gets one, and for good and bad payloads alike the registry answers exactly as
 * `Schema.decodeUnknownSync` does — the same values with the same key order, the same errors.
 */
import t from "tap"
import * as Schema from "effect/Schema"
import { catalog, defineEvent } from "../../src/events/index.js"
import type { DataSchema, EventDef } from "../../src/events/event-def.js"
import { compileFast, FAIL } from "../../src/events/payload-fast.js"
import { FAST_AFTER } from "../../src/events/registry.js"
import { TransactionStarted } from "../../src/events/types/transaction.js"
import { BootloaderSwapped, CleanupDone, DeploymentWritten } from "../../src/events/types/deployment.js"
import { Adopted, BootRecorded } from "../../src/events/types/system.js"

const Int = Schema.Number.check(Schema.isInt())
const Wide = Schema.Struct({
  s: Schema.String,
  n: Schema.Number,
  i: Int,
  b: Schema.Boolean,
  u: Schema.Unknown,
  between: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  list: Schema.optionalKey(Schema.Array(Schema.Struct({ x: Schema.Boolean, s: Schema.optionalKey(Schema.String) }))),
  nested: Schema.optionalKey(Schema.Struct({ deeper: Schema.Struct({ v: Int }) })),
  empty: Schema.optionalKey(Schema.Struct({})),
  ints: Schema.optionalKey(Schema.Array(Int)),
})
const WideDef = defineEvent("TestWide", { kind: "fact", data: Wide })
const UnionDef = defineEvent("TestUnion", { kind: "fact", data: Schema.Struct({ k: Schema.Union([Schema.String, Schema.Number]) }) })
const registry = catalog.with([WideDef, UnionDef])

const ok = { s: "a", n: 1.5, i: 2, b: true, u: { any: [1, "x"] } }
const wideCases: unknown[] = [
  ok,
  { u: null, b: false, i: -3, n: Number.NaN, s: "", extra: "dropped", snapshot: { a: 1 } },
  { ...ok, u: undefined },
  { ...ok, between: 0.5, list: [{ x: true }, { x: false, s: "y", more: 1 }], nested: { deeper: { v: 7, w: 1 } }, empty: { kept: "as is" }, ints: [1, 2, 3] },
  { ...ok, empty: 5 },
  { ...ok, empty: null },
  { ...ok, between: 2 },
  { ...ok, i: 1.5 },
  { ...ok, i: 2 ** 60 },
  { ...ok, s: 1 },
  { ...ok, n: "1" },
  { ...ok, n: null },
  { ...ok, b: "true" },
  { ...ok, list: [{ x: 1 }] },
  { ...ok, list: {} },
  { ...ok, list: undefined },
  { ...ok, nested: { deeper: { v: "7" } } },
  { ...ok, nested: { deeper: null } },
  { ...ok, ints: [1, 2.5] },
  { s: "a", n: 1, i: 1, b: true },
  { n: 1, i: 1, b: true, u: 1 },
  Object.assign(Object.create({ s: "inherited" }), { n: 1, i: 1, b: true, u: 1 }),
  [],
  null,
  "text",
  7,
]

const oneLine = (e: unknown): string => String((e as Error).message).replace(/\s*\n\s*/g, " ")

const answer = (f: () => unknown): unknown => {
  try {
    const value = f()
    return { value, json: JSON.stringify(value) }
  } catch (e) {
    return { error: (e as { detail?: string }).detail ?? `payload does not match schema v1: ${oneLine(e)}` }
  }
}

/** The registry's answer (value, or its error's detail) against Effect's decoder's. */
const compare = (type: string, schema: DataSchema, payloads: unknown[]): Array<[unknown, unknown, string]> => {
  const effect = Schema.decodeUnknownSync(schema)
  // The registry turns to the fast path after FAST_AFTER decodes of a type: get there first.
  for (let i = 0; i < FAST_AFTER; i++) registry.decodeData(type, 1, payloads[0])
  return payloads.map((p) => [answer(() => registry.decodeData(type, 1, p)), answer(() => effect(p)), `${type}: ${JSON.stringify(p)?.slice(0, 80)}`])
}

t.test("every payload in the catalog has a fast path; unsupported schemas have none", async (t) => {
  for (const def of catalog.defs()) t.ok(compileFast(def.data.ast), def.type)
  t.equal(compileFast(UnionDef.data.ast), undefined, "a union")
  t.same(registry.decodeData(UnionDef.type, 1, { k: 3, x: 1 }), { k: 3 }, "which still decodes, through Effect")
})

t.test("the fast path answers FAIL or exactly Effect's value", async (t) => {
  const fast = compileFast(Wide.ast)!
  const effect = Schema.decodeUnknownSync(Wide)
  for (const c of wideCases) {
    const got = fast(c)
    const want = answer(() => effect(c))
    if (got === FAIL) t.ok("error" in (want as object), `FAIL only where Effect fails: ${JSON.stringify(c)}`)
    else t.same({ value: got, json: JSON.stringify(got) }, want, `same value and key order: ${JSON.stringify(c)}`)
  }
})

t.test("registry decodes equal Effect's for every case, good and bad", async (t) => {
  const rows = compare(WideDef.type, Wide as DataSchema, wideCases)
  const dep = { stateroot: "fedora", checksum: "c".repeat(64), serial: 0 }
  const entry = { ...dep, bootcsum: "b".repeat(64), kargs: "rw quiet", origin: "[origin]\n", version: "39.1", pinned: false }
  const cases: Array<[EventDef, unknown[]]> = [
    [TransactionStarted, [{ kind: "deploy", argv: ["strata", "deploy"], user: "root", pid: 1 }, { kind: "deploy", argv: [1], user: "root", pid: 1 }, { kind: "x" }]],
    [DeploymentWritten, [{ deployment: { ...dep, bootcsum: "b", origin: "o", pinned: false, staged: false }, kargs: "rw", version: "1", snapshot: null }, { deployment: dep, snapshot: null }]],
    [BootloaderSwapped, [{ bootversion: 1, subbootversion: 0, deployments: [entry, entry], snapshot: null }, { bootversion: 1.5, subbootversion: 0, deployments: [] }, { bootversion: 1, subbootversion: 0, deployments: [{ ...entry, serial: "0" }] }]],
    [CleanupDone, [{ removed: ["/a"], deployments: [dep], prunedObjects: 3, snapshot: null }, { removed: "a" }]],
    [Adopted, [{ bootversion: 0, subbootversion: 0, deployments: [{ ...dep, pinned: true, staged: false }], booted: 0 }, { bootversion: 0, subbootversion: 0 }]],
    [BootRecorded, [{ bootId: "b", deployment: "c.0", kernel: "6.1" }, { bootId: 1 }, {}]],
  ]
  for (const [def, payloads] of cases) rows.push(...compare(def.type, def.data, payloads))
  for (const [got, want, name] of rows) t.same(got, want, name)
})
