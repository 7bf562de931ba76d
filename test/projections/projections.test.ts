/**
 * The projections as pure folds, checked with event vectors: deployments (adopt, deploy, abort
 * takes facts back, pins, kargs, removal, boots and ostree's pending/rollback), bootloader
 * entries, history (outcomes, changes, boots, `--at` cutoffs), in-flight transactions, combine —
 * and purity: folding deep-frozen events through deep-frozen states never writes to either.
 */
import t from "tap"
import type { EventEnvelope } from "../../src/events/envelope.js"
import type { EventDef } from "../../src/events/event-def.js"
import { Adopted, BootRecorded, SysrootInitialized } from "../../src/events/types/system.js"
import { TransactionAborted, TransactionCompleted, TransactionFailed, TransactionStarted } from "../../src/events/types/transaction.js"
import {
  BootloaderSwapped,
  BootloaderSwapRequested,
  CleanupDone,
  DeploymentRemoved,
  DeploymentWritten,
  DeployRequested,
  KargsChanged,
  PinChanged,
} from "../../src/events/types/deployment.js"
import {
  bootloaderOf,
  bootloaderProjection,
  combine,
  deploymentsProjection,
  fold,
  historyEntries,
  historyProjection,
  inflightProjection,
  listDeployments,
  listInflight,
  makeHistoryProjection,
  parseCutoff,
  unreferenced,
  within,
  type Projection,
  type TxnHistory,
} from "../../src/projections/index.js"

/** Builds envelopes with consecutive positions and one second per event from 2024-01-01. */
const vector = () => {
  let pos = 0
  const seqs = new Map<string, number>()
  return <D>(def: EventDef<string, D>, data: D, stream = "system"): EventEnvelope => {
    pos++
    const seq = (seqs.get(stream) ?? 0) + 1
    seqs.set(stream, seq)
    return {
      type: def.type,
      v: 1,
      stream,
      seq,
      pos,
      at: new Date(Date.UTC(2024, 0, 1, 0, 0, pos)).toISOString(),
      ...(stream.startsWith("txn-") ? { txn: stream.slice(4) } : {}),
      data,
      prev: "0".repeat(64),
    }
  }
}

const deepFreeze = <T>(x: T): T => {
  if (x !== null && typeof x === "object" && !Object.isFrozen(x)) {
    Object.freeze(x)
    for (const v of Object.values(x)) deepFreeze(v)
  }
  return x
}

/** Folds with every event and every intermediate state frozen: any mutation throws. */
const pureFold = <S>(p: Projection<S>, events: EventEnvelope[]): S => {
  let s = deepFreeze(p.initial)
  for (const e of events) s = deepFreeze(p.apply(s, deepFreeze(e)))
  return s
}

const dep = (checksum: string, serial = 0, stateroot = "os") => ({ stateroot, checksum, serial })
const rec = (checksum: string, extra: Record<string, unknown> = {}) => ({ ...dep(checksum), bootcsum: `k-${checksum}`, pinned: false, staged: false, ...extra })
const started = (kind = "deploy") => ({ kind, argv: ["strata", kind], user: "root", pid: 42 })

/** A log: adopt [a, b] booted a, deploy c (completed), deploy d (aborted), pin b (failed), boot into c. */
const scenario = () => {
  const ev = vector()
  const events = [
    ev(SysrootInitialized, { path: "/", strata: "0.1.0" }),
    ev(Adopted, { bootversion: 0, subbootversion: 0, deployments: [rec("a"), rec("b")], booted: 0 }),
    ev(TransactionStarted, started(), "txn-1"),
    ev(DeployRequested, { ...dep("c"), snapshot: {} }, "txn-1"),
    ev(DeploymentWritten, { deployment: rec("c", { origin: "[origin]\nrefspec=r:c\n" }), kargs: "quiet rw", version: "40.1", snapshot: {} }, "txn-1"),
    ev(BootloaderSwapRequested, { bootversion: 1, subbootversion: 0, deployments: [dep("c"), dep("a")] }, "txn-1"),
    ev(BootloaderSwapped, { bootversion: 1, subbootversion: 0, deployments: [dep("c"), dep("a")] }, "txn-1"),
    ev(DeploymentRemoved, dep("b"), "txn-1"),
    ev(CleanupDone, { removed: ["boot/loader.0"] }, "txn-1"),
    ev(TransactionCompleted, {}, "txn-1"),
    ev(TransactionStarted, started(), "txn-2"),
    ev(DeployRequested, dep("d"), "txn-2"),
    ev(DeploymentWritten, { deployment: rec("d") }, "txn-2"),
    ev(TransactionAborted, { reason: "interrupted before the point of no return", undone: ["ostree/deploy/os/deploy/d.0"] }, "txn-2"),
    ev(TransactionStarted, started("pin"), "txn-3"),
    ev(PinChanged, { ...dep("a"), pinned: true, previous: false }, "txn-3"),
    ev(TransactionFailed, { error: "boom" }, "txn-3"),
    ev(BootRecorded, { bootId: "boot-1", deployment: "c.0", kernel: "6.1.0" }),
  ]
  return { ev, events }
}

t.test("deployments: adopt, deploy, remove, abort/fail take facts back, boots", async (t) => {
  const { events } = scenario()
  const at = (n: number) => pureFold(deploymentsProjection, events.slice(0, n))

  const adopted = at(2)
  t.same(adopted.order, ["os-a.0", "os-b.0"])
  t.equal(adopted.booted, "os-a.0")
  t.same(listDeployments(adopted).map((d) => [d.id, d.booted, d.pending, d.rollback]), [["os-a.0", true, false, false], ["os-b.0", false, false, true]])

  const written = at(5)
  t.same(written.order, ["os-a.0", "os-b.0"], "a written deployment is not in the boot list until the swap")
  t.same(unreferenced(written).map((v) => v.id), ["os-c.0"])
  t.same(written.byId["os-c.0"]!.written, { pos: 5, at: "2024-01-01T00:00:05.000Z", txn: "1" })
  t.same(at(4).byId, at(3).byId, "an intent changes nothing")

  const deployed = at(10)
  t.same(deployed.order, ["os-c.0", "os-a.0"])
  t.equal(deployed.bootversion, 1)
  t.notOk("os-b.0" in deployed.byId, "removed")
  t.same(listDeployments(deployed).map((d) => [d.id, d.booted, d.pending, d.rollback]), [["os-c.0", false, true, false], ["os-a.0", true, false, false]], "c pending (before booted a)")
  t.same(deployed.pendingUndo, {}, "completed: nothing left to take back")

  t.notOk("os-d.0" in at(14).byId, "the aborted transaction's deployment is taken back")
  t.ok("os-d.0" in at(13).byId, "…which existed while it was in flight")
  t.equal(at(16).byId["os-a.0"]!.pinned, true)
  t.equal(at(17).byId["os-a.0"]!.pinned, false, "the failed transaction's pin is taken back")

  const booted = at(18)
  t.equal(booted.booted, "os-c.0")
  t.same(listDeployments(booted).map((d) => [d.id, d.booted, d.pending, d.rollback]), [["os-c.0", true, false, false], ["os-a.0", false, false, true]])
  const c = booted.byId["os-c.0"]!
  t.same([c.kargs, c.version, c.origin], ["quiet rw", "40.1", "[origin]\nrefspec=r:c\n"])

  const ev = vector()
  const unknownBoot = fold(deploymentsProjection, [...events, ev(BootRecorded, { bootId: "boot-2", deployment: "zz.0" })].map((e, i) => ({ ...e, pos: i + 1 })))
  t.equal(unknownBoot.booted, undefined, "a boot into a deployment the log does not know clears booted")
  const reset = fold(deploymentsProjection, [...events, { ...events[0]!, pos: 99 }])
  t.same([reset.order, reset.byId, reset.pos], [[], {}, 99], "SysrootInitialized starts over")
})

t.test("deployments: staged, kargs, unknown events and ostree's pending/rollback per stateroot", async (t) => {
  const ev = vector()
  const events = [
    ev(Adopted, { bootversion: 1, subbootversion: 1, deployments: [rec("s", { staged: true }), rec("x"), { ...rec("y"), stateroot: "other" }, rec("z")], booted: 2 }),
  ]
  const s0 = pureFold(deploymentsProjection, events)
  t.same(s0.order, ["os-x.0", "other-y.0", "os-z.0"], "staged is not in the boot list")
  t.same(listDeployments(s0).map((d) => [d.id, d.staged, d.booted, d.pending, d.rollback]), [
    ["os-s.0", true, false, true, false],
    ["os-x.0", false, false, false, false],
    ["other-y.0", false, true, false, false],
    ["os-z.0", false, false, false, false],
  ], "booted in another stateroot: the first of os is pending, none is rollback")
  const more = [
    ...events,
    ev(TransactionStarted, started("finalize-staged"), "txn-9"),
    ev(BootloaderSwapped, { bootversion: 0, subbootversion: 0, deployments: [dep("s"), dep("x")] }, "txn-9"),
    ev(KargsChanged, { ...dep("x"), kargs: "rw ostree=/ostree/boot.0/os/k-x/0", previous: "" }, "txn-9"),
    ev(TransactionCompleted, {}, "txn-9"),
    ev(CleanupDone, { removed: [] }, "txn-9"),
  ]
  const s1 = pureFold(deploymentsProjection, more)
  t.equal(s1.byId["os-s.0"]!.staged, false, "swapped in: no longer staged")
  t.equal(s1.byId["os-x.0"]!.kargs, "rw ostree=/ostree/boot.0/os/k-x/0")
  t.same(s1.order, ["os-s.0", "os-x.0"])
  const same = deploymentsProjection.apply(s1, { ...more[0]!, type: "SomethingElse", pos: 50 })
  t.equal(same, s1, "an event it does not use returns the same state object")
})

t.test("bootloader: entries in boot order with versions, bootserials and ostree= in place", async (t) => {
  const ev = vector()
  const events = [
    ev(Adopted, { bootversion: 0, subbootversion: 0, deployments: [] }),
    ev(TransactionStarted, started(), "txn-1"),
    ev(DeploymentWritten, { deployment: rec("p", { bootcsum: "k1" }), kargs: "root=/dev/vda ostree=/ostree/boot.0/os/old/0 rw" }, "txn-1"),
    ev(DeploymentWritten, { deployment: rec("q", { bootcsum: "k1" }), kargs: "quiet" }, "txn-1"),
    ev(DeploymentWritten, { deployment: { stateroot: "os", checksum: "r", serial: 0, pinned: false, staged: false } }, "txn-1"),
    ev(BootloaderSwapped, { bootversion: 1, subbootversion: 0, deployments: [dep("p"), dep("q"), dep("r")] }, "txn-1"),
    ev(TransactionCompleted, {}, "txn-1"),
  ]
  const { bootloader, deployments } = pureFold(bootloaderProjection, events)
  t.same(bootloader, bootloaderOf(deployments))
  t.equal(bootloader.loader, "loader.1")
  t.same(bootloader.entries.map((e) => [e.deployment, e.version, e.bootserial, e.options]), [
    ["os-p.0", 3, 0, "root=/dev/vda ostree=/ostree/boot.1/os/k1/0 rw"],
    ["os-q.0", 2, 1, "quiet ostree=/ostree/boot.1/os/k1/1"],
    ["os-r.0", 1, 0, ""],
  ], "versions count down, bootserial counts per bootcsum, ostree= replaced in place or appended")
  t.equal(bootloaderProjection.apply(pureFold(bootloaderProjection, events), events[0]!).bootloader.entries.length, 0, "Adopted again resets")
})

t.test("history: who, command line, when, outcome, what changed, boots; in log order", async (t) => {
  const { events } = scenario()
  const h = pureFold(historyProjection, events)
  const entries = historyEntries(h)
  t.same(entries.map((e) => (e.entry === "boot" ? `boot ${e.deployment}` : `${e.kind} ${e.outcome}`)), ["deploy completed", "deploy aborted", "pin failed", "boot c.0"])
  const [deploy, aborted, failed] = entries as TxnHistory[]
  t.same(deploy!.changes, [
    "wrote deployment os-c.0 version 40.1",
    "bootloader: loader.1 with 2 deployments, default os-c.0",
    "removed deployment os-b.0",
    "cleanup: removed 1 path",
  ], "one line per fact, none for intents")
  t.same([deploy!.user, deploy!.argv, deploy!.pid, deploy!.started.pos, deploy!.ended?.pos], ["root", ["strata", "deploy"], 42, 3, 10])
  t.same([aborted!.reason, aborted!.undone], ["interrupted before the point of no return", ["ostree/deploy/os/deploy/d.0"]])
  t.equal(failed!.error, "boom")
  const inflight = historyEntries(pureFold(historyProjection, events.slice(0, 12)))
  t.equal((inflight.at(-1) as TxnHistory).outcome, "in-flight")
  const custom = makeHistoryProjection(() => "intent")
  t.same((historyEntries(fold(custom, events))[0] as TxnHistory).changes, [], "kindOf decides what counts as a fact")
})

t.test("--at cutoffs: by position and by ISO time fold the past", async (t) => {
  t.same(parseCutoff("7"), { pos: 7 })
  t.same(parseCutoff("2024-01-01T00:00:09Z"), { time: "2024-01-01T00:00:09.000Z" })
  t.same(parseCutoff("2024-01-01"), { time: "2024-01-01T00:00:00.000Z" })
  t.equal(parseCutoff("0"), undefined)
  t.equal(parseCutoff("yesterday-ish"), undefined)
  const { events } = scenario()
  const past = fold(deploymentsProjection, events.filter(within({ pos: 5 })))
  t.same(past.order, ["os-a.0", "os-b.0"], "at pos 5, before the swap")
  const byTime = fold(deploymentsProjection, events.filter(within(parseCutoff("2024-01-01T00:00:10Z")!)))
  t.same(byTime.order, ["os-c.0", "os-a.0"], "at 00:00:10 the deploy had completed")
  t.equal(historyEntries(fold(historyProjection, events.filter(within({ pos: 12 })))).length, 2)
})

t.test("inflight: started without a terminal event, and combine folds several in one pass", async (t) => {
  const { events } = scenario()
  const mid = pureFold(inflightProjection, events.slice(0, 12))
  t.same(listInflight(mid).map((x) => [x.txn, x.kind, x.last.type, x.steps, x.started.pos]), [["2", "deploy", "DeployRequested", 1, 11]])
  t.same(pureFold(inflightProjection, events), {}, "every transaction ended")
  const both = combine({ inflight: inflightProjection, deployments: deploymentsProjection })
  const folded = pureFold(both, events.slice(0, 12))
  t.same(folded.inflight, mid)
  t.same(folded.deployments, fold(deploymentsProjection, events.slice(0, 12)))
  t.equal(both.apply(folded, { ...events[0]!, type: "Nothing", stream: "x" }), folded, "unchanged parts keep the same object")
})

t.test("deployments: cleanup removes the deployments it names; a swap refreshes bootcsum and kargs", async (t) => {
  const ev = vector()
  const events = [
    ev(Adopted, { bootversion: 0, subbootversion: 0, deployments: [rec("a"), rec("b"), rec("c")] }),
    ev(TransactionStarted, started("undeploy"), "txn-5"),
    ev(BootloaderSwapped, { bootversion: 1, subbootversion: 1, deployments: [{ ...dep("a"), bootcsum: "k-new", kargs: "rw quiet" }, dep("c")] }, "txn-5"),
    ev(CleanupDone, { removed: ["/s/boot/loader.0"], deployments: [dep("b")] }, "txn-5"),
    ev(TransactionCompleted, {}, "txn-5"),
  ]
  const s = pureFold(deploymentsProjection, events)
  t.same(Object.keys(s.byId).sort(), ["os-a.0", "os-c.0"])
  t.same([s.byId["os-a.0"]!.bootcsum, s.byId["os-a.0"]!.kargs], ["k-new", "rw quiet"])
  t.same(s.byId["os-c.0"]!.bootcsum, "k-c", "an entry without a bootcsum keeps the known one")
  const h = historyEntries(pureFold(historyProjection, events))[0] as TxnHistory
  t.same(h.changes.at(-1), "cleanup: removed deployment os-b.0 and 1 path")
})
