/**
 * The batch folds (`applyAll`, used by every replay through `foldLog`) against the reference
 * `apply` one event at a time: for every projection, a log of adoptions, deploys completed,
 * aborted and failed, staging, kargs, pins, removals, cleanups, reconciliation, boots and a
 * transaction left in flight, cut into batches of many sizes, folds to the same state; inputs
 * are deep-frozen, so a batch fold that wrote to its input state or to an event would throw; and
 * the deployments fold skips only the event types `apply` ignores.
 */
import t from "tap"
import type { EventEnvelope } from "../../src/events/envelope.js"
import type { EventDef } from "../../src/events/event-def.js"
import { catalog } from "../../src/events/catalog.js"
import { Adopted, BootRecorded, Reconciled, SysrootInitialized } from "../../src/events/types/system.js"
import { TransactionAborted, TransactionCompleted, TransactionFailed, TransactionStarted } from "../../src/events/types/transaction.js"
import {
  BootloaderSwapped, BootloaderSwapRequested, CleanupDone, DeploymentRemoved, DeploymentWritten, DeployRequested, KargsChanged, PinChanged, PinRequested,
} from "../../src/events/types/deployment.js"
import { DeploymentStaged, StageRequested } from "../../src/events/types/staging.js"
import {
  applyEvents, bootloaderProjection, combine, deploymentsProjection, fold, foldChunks, historyEntries, historyProjection, inflightProjection, listInflight, type Projection,
} from "../../src/projections/index.js"

const deepFreeze = <T>(x: T): T => {
  if (x !== null && typeof x === "object" && !Object.isFrozen(x)) {
    Object.freeze(x)
    for (const v of Object.values(x)) deepFreeze(v)
  }
  return x
}

const log = (): EventEnvelope[] => {
  const out: EventEnvelope[] = []
  const seqs = new Map<string, number>()
  const ev = <D>(def: EventDef<string, D>, data: D, stream = "system"): void => {
    const seq = (seqs.get(stream) ?? 0) + 1
    seqs.set(stream, seq)
    const pos = out.length + 1
    out.push({ type: def.type, v: 1, stream, seq, pos, at: new Date(Date.UTC(2024, 0, 1, 0, 0, pos)).toISOString(), ...(stream.startsWith("txn-") ? { txn: stream.slice(4) } : {}), data, prev: "0".repeat(64) })
  }
  const dep = (c: string) => ({ stateroot: "os", checksum: c, serial: 0 })
  const rec = (c: string, extra: Record<string, unknown> = {}) => ({ ...dep(c), bootcsum: `k-${c}`, pinned: false, staged: false, ...extra })
  const started = (kind: string) => ({ kind, argv: ["strata", kind], user: "root", pid: 7 })
  ev(SysrootInitialized, { path: "/", strata: "0.1.0" })
  ev(Adopted, { bootversion: 0, subbootversion: 0, deployments: [rec("a"), rec("b")], booted: 0 })
  for (let i = 0; i < 6; i++) {
    const txn = `txn-d${i}`
    const c = `c${i}`
    ev(TransactionStarted, started("deploy"), txn)
    ev(DeployRequested, { ...dep(c), snapshot: { value: "prepare" } }, txn)
    ev(DeploymentWritten, { deployment: rec(c, { origin: `[origin]\nrefspec=r:${c}\n` }), kargs: `rw n=${i}`, version: `40.${i}`, snapshot: {} }, txn)
    if (i === 2) {
      ev(TransactionAborted, { reason: "interrupted before the point of no return", undone: [c] }, txn)
      continue
    }
    ev(BootloaderSwapRequested, { bootversion: (i + 1) % 2, subbootversion: 0, deployments: [dep(c), dep("a")] }, txn)
    ev(BootloaderSwapped, { bootversion: (i + 1) % 2, subbootversion: 0, deployments: [dep(c), dep("a")] }, txn)
    ev(CleanupDone, { removed: [`boot/loader.${i % 2}`], deployments: i > 0 ? [dep(`c${i === 3 ? 1 : i - 1}`)] : [dep("b")] }, txn)
    ev(TransactionCompleted, {}, txn)
    ev(BootRecorded, { bootId: `boot-${i}`, deployment: `${c}.0`, kernel: "6.1" })
  }
  ev(TransactionStarted, started("pin"), "txn-p")
  ev(PinRequested, { ...dep("a"), pinned: true, previous: false }, "txn-p")
  ev(PinChanged, { ...dep("a"), pinned: true, previous: false }, "txn-p")
  ev(TransactionFailed, { error: "boom" }, "txn-p")
  ev(TransactionStarted, started("kargs"), "txn-k")
  ev(KargsChanged, { ...dep("a"), kargs: "quiet", previous: "" }, "txn-k")
  ev(TransactionCompleted, {}, "txn-k")
  ev(TransactionStarted, started("stage"), "txn-s")
  ev(DeploymentWritten, { deployment: rec("s", { staged: true }), snapshot: {} }, "txn-s")
  ev(StageRequested, { deployment: { ...dep("s"), bootcsum: "k-s" }, runDir: "/run", snapshot: {} }, "txn-s")
  ev(DeploymentStaged, { deployment: { ...dep("s"), bootcsum: "k-s" }, kargs: "rw", locked: true, runDir: "/run" }, "txn-s")
  ev(TransactionCompleted, {}, "txn-s")
  // A second stage replaces the first; a swap that leaves the staged one out unstages it.
  ev(TransactionStarted, started("stage"), "txn-s2")
  ev(DeploymentWritten, { deployment: rec("s2", { staged: true }), snapshot: {} }, "txn-s2")
  ev(DeploymentStaged, { deployment: { ...dep("s2"), bootcsum: "k-s2" }, runDir: "/run", replaces: dep("s") }, "txn-s2")
  ev(PinChanged, { ...dep("nowhere"), pinned: true, previous: false }, "txn-s2")
  ev(TransactionCompleted, {}, "txn-s2")
  ev(TransactionStarted, started("deploy"), "txn-un")
  ev(BootloaderSwapped, { bootversion: 0, subbootversion: 1, deployments: [dep("c5"), dep("c4"), dep("c5")], unstage: { ...dep("s2"), runDir: "/run" } }, "txn-un")
  ev(TransactionCompleted, {}, "txn-un")
  ev(BootRecorded, { bootId: "boot-c5", deployment: "c5.0" })
  ev(TransactionStarted, started("undeploy"), "txn-u")
  ev(DeploymentRemoved, dep("c5"), "txn-u")
  ev(TransactionCompleted, {}, "txn-u")
  ev(Reconciled, { drift: [{ kind: "unknown", detail: "x" }], state: { bootversion: 1, subbootversion: 1, deployments: [rec("c4"), rec("a", { pinned: true })], booted: 0 } })
  ev(TransactionStarted, started("deploy"), "txn-open")
  ev(DeployRequested, { ...dep("z"), snapshot: {} }, "txn-open")
  ev(DeploymentWritten, { deployment: rec("z"), snapshot: {} }, "txn-open")
  return out
}

/** `events` cut into batches of `size` (the last one shorter). */
const batches = (events: ReadonlyArray<EventEnvelope>, size: number): EventEnvelope[][] => {
  const out: EventEnvelope[][] = []
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size))
  return out
}

/** The reference: `apply` one event at a time. */
const oneByOne = <S>(p: Projection<S>, events: ReadonlyArray<EventEnvelope>): S => events.reduce((s, e) => p.apply(s, e), p.initial)

const projections: Record<string, Projection<any>> = {
  deployments: deploymentsProjection,
  bootloader: bootloaderProjection,
  history: historyProjection,
  inflight: inflightProjection,
  combined: combine({ deployments: deploymentsProjection, bootloader: bootloaderProjection, history: historyProjection, inflight: inflightProjection }),
}

t.test("applyAll in batches of any size = apply one by one, inputs untouched", async (t) => {
  const events = deepFreeze(log())
  for (const [name, p] of Object.entries(projections)) {
    t.ok(p.applyAll, `${name} has a batch fold`)
    const want = oneByOne(p, events)
    for (const size of [1, 2, 3, 5, 8, events.length]) {
      let s = deepFreeze(p.initial)
      for (const b of batches(events, size)) s = deepFreeze(applyEvents(p, s, b))
      t.same(s, want, `${name}, batches of ${size}`)
    }
    t.same(fold(p, events), want, `${name}: fold`)
  }
  const h = historyEntries(fold(historyProjection, events))
  t.same(h.filter((e) => e.entry === "transaction").map((e) => e.outcome), ["completed", "completed", "aborted", "completed", "completed", "completed", "failed", "completed", "completed", "completed", "completed", "completed", "in-flight"])
  // The staging, unstaging and undeploy cases above do what they are there for.
  const removed = events.findIndex((e) => e.type === DeploymentRemoved.type)
  for (const size of [1, 4, events.length]) {
    let s = deploymentsProjection.initial
    for (const b of batches(events.slice(0, removed + 1), size)) s = applyEvents(deploymentsProjection, s, b)
    t.same([s.byId["os-s.0"]?.stage, s.byId["os-s.0"]?.staged, s.byId["os-s2.0"]?.staged, s.byId["os-s2.0"]?.stage, s.order, "booted" in s, s.booted], [undefined, false, false, undefined, ["os-c4.0"], true, undefined], `batches of ${size}`)
  }
  t.same(listInflight(fold(inflightProjection, events)).map((x) => [x.txn, x.steps]), [["open", 2]])
})

t.test("a batch that changes nothing returns the state itself; the input state is never written", async (t) => {
  const events = log()
  for (const [name, p] of Object.entries(projections)) {
    const s = deepFreeze(fold(p, events))
    const noise = deepFreeze([{ ...events[0]!, type: "SomethingElse", stream: "elsewhere", pos: events.length + 1 }])
    t.equal(applyEvents(p, s, noise), s, `${name}: an event it ignores`)
    t.equal(applyEvents(p, s, []), s, `${name}: no events`)
  }
})

t.test("foldChunks over async batches with a filter = fold of the kept events", async (t) => {
  const events = log()
  const keep = (e: EventEnvelope): boolean => e.pos <= 40
  async function* chunks() {
    for (const b of batches(events, 7)) yield b
  }
  const p = projections.combined!
  t.same(await foldChunks(p, chunks(), { keep }), oneByOne(p, events.filter(keep)))
})

t.test("deployments: the batch fold skips exactly the event types apply ignores", async (t) => {
  const s = deepFreeze(fold(deploymentsProjection, log()))
  for (const def of catalog.defs()) {
    const e = deepFreeze({ ...log()[0]!, type: def.type, stream: "txn-x", txn: "x", data: {} })
    let one: unknown
    let all: unknown
    try {
      one = deploymentsProjection.apply(s, e)
    } catch (err) {
      one = `threw ${(err as Error).name}`
    }
    try {
      all = deploymentsProjection.applyAll!(s, [e])
    } catch (err) {
      all = `threw ${(err as Error).name}`
    }
    t.same(all, one, def.type)
    if (one === s) t.equal(all, s, `${def.type}: unchanged state is returned as is`)
  }
})

t.test("combine folds a projection another one derives from once per batch, and only within that batch", async (t) => {
  let folds = 0
  const base: Projection<number> = { initial: 0, apply: (s) => s + 1, applyAll: (s, es) => ((folds += 1), s + es.length) }
  // derived from base, as the bootloader is from the deployments: it folds base itself
  const derived: Projection<{ readonly base: number }> = {
    initial: { base: 0 },
    apply: (s, e) => ({ base: base.apply(s.base, e) }),
    applyAll: (s, es) => ({ base: applyEvents(base, s.base, es) }),
  }
  const events = [1, 2, 3].map((pos) => ({ pos }) as unknown as EventEnvelope)
  const both = combine({ base, derived })
  const s = applyEvents(both, both.initial, events)
  t.same(s, { base: 3, derived: { base: 3 } }, "the same states as folded apart")
  t.equal(folds, 1, "base was folded once for both")
  // outside a combine batch nothing is remembered: the same array, changed, folds afresh
  const batch = [...events]
  t.equal(applyEvents(base, 0, batch), 3)
  batch.push({ pos: 4 } as unknown as EventEnvelope)
  t.equal(applyEvents(base, 0, batch), 4, "no stale result for an array changed between two folds")
  t.same(applyEvents(both, both.initial, batch), { base: 4, derived: { base: 4 } })
})
