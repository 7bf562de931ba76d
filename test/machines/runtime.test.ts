/**
 * The transaction runner on the toy machines: the shape of a completed transaction's stream,
 * write-ahead order, failures (before and after the point of no return, stalls, parallel steps,
 * Effect steps), definition checks, recovery before a new transaction, the sysroot lock, crash
 * point parsing and transaction ids.
 */
import t from "tap"
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { setup, type AnyStateMachine } from "xstate"
import { CleanupDone, CleanupRequested, DeploymentWritten, DeployRequested } from "../../src/events/types/deployment.js"
import {
  defineTransaction,
  lockSysroot,
  makeTxnIdFactory,
  parseCrashAt,
  runTransaction,
  stepActors,
  txnIdTime,
  txnStep,
  type TransactionDefinition,
} from "../../src/machines/runtime/index.js"
import { A0, A1, B, checkInvariants, child, copySysroot, deployB, foldLog, makeTemplate, name, readLog, tmpDir } from "./harness.js"
import { deployDir, deployMachine, deploySteps, initToySysroot, readToyDisk, toyDefinitions, toyDeploy, toyPin, useToySysroot } from "./toy.js"

const fresh = async (t: { teardown: (fn: () => void) => void }, label: string) => {
  const dir = tmpDir(t)
  const s = copySysroot(await makeTemplate(dir), join(dir, label))
  useToySysroot(s)
  return s
}

t.test("a completed transaction: TransactionStarted, intent/fact per step with snapshots, one terminal", async (t) => {
  const s = await fresh(t, "ok")
  const before = (await readLog(s)).length
  const r = await runTransaction({ sysroot: s, definition: toyDeploy, input: deployB, argv: ["strata", "deploy", "bb"], user: "alice" })
  t.match(r.txn, /^[0-9A-HJKMNP-TV-Z]{26}$/, "a ULID")
  t.same(r.output, { deployed: "bb.0" })
  t.same(r.recovered, [])
  const events = (await readLog(s)).slice(before)
  t.ok(events.every((e) => e.stream === `txn-${r.txn}` && e.txn === r.txn), "all in the transaction's stream, tagged with its id")
  t.same(events.map((e) => e.type), [
    "TransactionStarted", "DeployRequested", "DeploymentWritten", "BootloaderSwapRequested", "BootloaderSwapped",
    "DeploymentRemoveRequested", "DeploymentRemoved", "CleanupRequested", "CleanupDone", "TransactionCompleted",
  ])
  t.same(events[0]!.data, { kind: "toy-deploy", argv: ["strata", "deploy", "bb"], user: "alice", pid: process.pid })
  const snap = (i: number) => (events[i]!.data as { snapshot: { value: unknown; status: string; children: Record<string, { src: string }> } }).snapshot
  // An intent's snapshot is its own step, running; a fact's is the state after the done transition.
  t.same([1, 2, 3, 4, 5, 6, 7, 8].map((i) => snap(i).value), ["write", "swap", "swap", "remove", "remove", "cleanup", "cleanup", "done"])
  t.same(Object.values(snap(1).children).map((c) => c.src), ["write"], "the running step is a named child")
  t.equal(snap(8).status, "done")
  t.same((events[7]!.data as { snapshot: unknown; prune?: unknown }).prune, undefined, "intent payload = step input")
  t.same(events.filter((e) => e.type === "DeploymentRemoved").map((e) => (e.data as { checksum: string }).checksum), ["a0"])
  await checkInvariants(t, s, "completed")
  t.equal((await foldLog(s)).last?.outcome, "completed")
})

t.test("write-ahead order: the intent is durable before the effect, the fact only after it", async (t) => {
  const s0 = await fresh(t, "wa")
  const at = (point: string) => {
    const s = copySysroot(s0, `${s0}-${point.replace(/:/g, "_")}`)
    t.teardown(() => void 0)
    t.equal(child(s, ["deploy", JSON.stringify(deployB)], point).signal, "SIGKILL")
    return s
  }
  const intent = at("DeployRequested:1")
  t.notOk(existsSync(deployDir(intent, B)), "killed right after the intent: the effect has not started")
  const mid = at("toy:write-half")
  t.equal((await readLog(mid)).at(-1)!.type, "DeployRequested", "killed mid-effect: the intent is already in the log")
  const fact = at("DeploymentWritten:1")
  t.same(readToyDisk(fact).partial, [], "killed right after the fact: the effect is complete")
  t.ok(existsSync(deployDir(fact, B)))
})

t.test("a failing step: partial effect undone, TransactionFailed, the step's own error rethrown", async (t) => {
  const s = await fresh(t, "fail")
  const before = (await readLog(s)).length
  await t.rejects(runTransaction({ sysroot: s, definition: toyDeploy, input: { ...deployB, checksum: "bad" } }), { reason: "Corrupt", message: /commit bad is corrupt/ })
  const events = (await readLog(s)).slice(before)
  t.same(events.map((e) => e.type), ["TransactionStarted", "DeployRequested", "TransactionFailed"])
  t.match(events[2]!.data, { error: /commit bad is corrupt/ })
  const disk = await checkInvariants(t, s, "failed")
  t.same(disk.order, [name(A1), name(A0)], "old state")
  t.notOk(existsSync(deployDir(s, { ...B, checksum: "bad" })), "the half-written deployment is gone")
  t.equal((await foldLog(s)).last?.outcome, "failed")
})

t.test("a step failing after the point of no return: completed, and the caller is told", async (t) => {
  const s = await fresh(t, "late")
  const broken = defineTransaction({
    ...toyDeploy,
    steps: { ...deploySteps, cleanup: txnStep({ intent: CleanupRequested, fact: CleanupDone, run: async () => Promise.reject(new Error("disk on fire")) }) },
  })
  await t.rejects(runTransaction({ sysroot: s, definition: broken, input: deployB }), { _tag: "TransactionError", message: /after the point of no return.*disk on fire/ })
  const events = await readLog(s)
  t.same(events.slice(-2).map((e) => e.type), ["CleanupRequested", "TransactionCompleted"], "the failed step is not re-run")
  t.same((await checkInvariants(t, s, "late failure")).order, [name(B), name(A1)], "new state")
})

t.test("a machine that stalls, ends with {error}, or runs two steps at once fails cleanly", async (t) => {
  const s = await fresh(t, "shapes")
  const steps = { write: deploySteps.write }
  const mk = (config: object) => defineTransaction({ kind: "toy-shape", machine: setup({ actors: stepActors(steps) }).createMachine(config as never) as unknown as AnyStateMachine, steps, pointOfNoReturn: "DeploymentWritten", policy: "abort-or-complete", undo: {} })
  const req = { stateroot: "os", checksum: "cc", serial: 0 }
  const stall = mk({ initial: "idle", states: { idle: { on: { GO: "done" } }, done: { type: "final" } } })
  await t.rejects(runTransaction({ sysroot: s, definition: stall, input: {} }), { message: /stopped in state "idle" with no step running/ })
  const errOut = mk({ initial: "done", output: ({ event }: { event: { output: unknown } }) => event.output, states: { done: { type: "final", output: { error: "nothing to do here" } } } })
  await t.rejects(runTransaction({ sysroot: s, definition: errOut, input: {} }), { message: /nothing to do here/ })
  const both = mk({
    type: "parallel",
    states: {
      a: { initial: "w", states: { w: { invoke: { src: "write", input: req, onDone: "d" } }, d: { type: "final" } } },
      b: { initial: "w", states: { w: { invoke: { src: "write", input: { ...req, checksum: "dd" } } } } },
    },
  })
  await t.rejects(runTransaction({ sysroot: s, definition: both, input: {} }), { message: /one at a time/ })
  const tail = (await readLog(s)).filter((e) => e.type.startsWith("Transaction")).slice(-6).map((e) => e.type)
  t.same(tail, ["TransactionStarted", "TransactionFailed", "TransactionStarted", "TransactionFailed", "TransactionStarted", "TransactionFailed"])
  t.same(Object.keys((await foldLog(s)).inflight), [])
})

t.test("Effect steps: success, and a tagged failure that keeps its tag and reason", async (t) => {
  const s = await fresh(t, "effect")
  class Boom extends Data.TaggedError("Boom")<{ readonly reason: "NoSpace"; readonly message: string }> {}
  const mk = (ok: boolean) => {
    const steps = {
      write: txnStep({
        intent: DeployRequested,
        fact: DeploymentWritten,
        run: (req) =>
          ok
            ? Effect.succeed({ deployment: { stateroot: req.stateroot, checksum: req.checksum, serial: req.serial, pinned: false, staged: false } })
            : Effect.fail(new Boom({ reason: "NoSpace", message: "boot is full" })),
      }),
    }
    return defineTransaction({
      kind: "toy-effect",
      // Untyped toy config: the cast only spares spelling out setup's type parameters.
      machine: setup({ actors: stepActors(steps) }).createMachine({ initial: "w", states: { w: { invoke: { src: "write", input: { stateroot: "os", checksum: "ee", serial: 0 }, onDone: "d" } }, d: { type: "final" } } } as never) as unknown as AnyStateMachine,
      steps,
      pointOfNoReturn: "DeploymentWritten",
      policy: "abort-or-complete",
      undo: {},
    })
  }
  await runTransaction({ sysroot: s, definition: mk(true), input: {} })
  t.equal((await readLog(s)).at(-1)!.type, "TransactionCompleted")
  await t.rejects(runTransaction({ sysroot: s, definition: mk(false), input: {} }), { _tag: "Boom", reason: "NoSpace", message: "boot is full" })
})

t.test("defineTransaction refuses definitions recovery could not use", async (t) => {
  const base = { kind: "toy-x", machine: deployMachine, steps: deploySteps, pointOfNoReturn: "BootloaderSwapped", policy: "abort-or-complete" as const, undo: {} }
  t.throws(() => defineTransaction({ ...base, kind: "Bad Kind" }), { message: /kind must be/ })
  t.throws(() => defineTransaction({ ...base, pointOfNoReturn: "BootloaderSwapRequested" }), { message: /not the fact of any step/ })
  t.throws(() => defineTransaction({ ...base, undo: { PinChanged: async () => [] } }), { message: /undo for PinChanged/ })
  t.throws(() => defineTransaction({ ...base, steps: { ...deploySteps, extra: deploySteps.write } }), { message: /used by steps/ })
  const { cleanup: _, ...fewer } = deploySteps
  t.throws(() => defineTransaction({ ...base, steps: fewer }), { message: /actor cleanup is not a step/ })
  t.throws(() => defineTransaction({ ...base, steps: { ...deploySteps, cleanup: { ...deploySteps.cleanup, intent: CleanupDone } } }), { message: /not an intent step event/ })
  t.ok(defineTransaction(base as TransactionDefinition))
})

t.test("an interrupted transaction is recovered before the next one starts, or blocks it if unknown", async (t) => {
  const s = await fresh(t, "pre")
  t.equal(child(s, ["deploy", JSON.stringify(deployB)], "DeploymentWritten:1").signal, "SIGKILL")
  const input = { notes: join(s, "notes"), targets: [{ ...A1, pinned: true, previous: false }] }
  const before = (await readLog(s)).length
  await t.rejects(runTransaction({ sysroot: s, definition: toyPin, input, definitions: [toyPin] }), { reason: "Unsupported", message: /toy-deploy.*strata recover/ })
  t.equal((await readLog(s)).length, before, "refused before appending anything")
  // The definitions may be a loader (commands load every machine only when one must be finished).
  let loads = 0
  const loader = async () => (loads++, toyDefinitions)
  const r = await runTransaction({ sysroot: s, definition: toyPin, input, definitions: loader })
  t.equal(loads, 1, "loaded to finish the interrupted transaction")
  await runTransaction({ sysroot: s, definition: toyPin, input, definitions: loader })
  t.equal(loads, 1, "not loaded when nothing is in flight")
  t.equal(r.recovered.length, 1)
  t.match(r.recovered[0], { kind: "toy-deploy", action: "aborted", undone: ["ostree/deploy/os/deploy/bb.0"] })
  t.same((await checkInvariants(t, s, "pre-recovered")).pinned, [name(A1)])
})

t.test("the sysroot lock: a second caller is told who holds it, waits, then is refused with Locked", async (t) => {
  const s = await fresh(t, "lock")
  const holder = spawn(process.execPath, [fileURLToPath(new URL("./toy-run.js", import.meta.url)), s, "hold"], { stdio: ["ignore", "pipe", "inherit"] })
  t.teardown(() => void holder.kill("SIGKILL"))
  await new Promise<void>((res) => holder.stdout!.once("data", () => res()))
  const waits: string[] = []
  await t.rejects(runTransaction({ sysroot: s, definition: toyDeploy, input: deployB, lockTimeoutMs: 300, onWait: (m) => waits.push(m) }), { _tag: "TransactionError", reason: "Locked", message: /locked by another transaction/ })
  t.equal(waits.length, 1, "told once")
  t.match(waits[0], new RegExp(`ostree/lock, held by pid ${holder.pid} \\(hold: toy-run hold\\); giving up after 0.3s`))
  // Waiting long enough succeeds: here the holder goes away as soon as we start waiting.
  const r = await runTransaction({ sysroot: s, definition: toyDeploy, input: deployB, lockTimeoutMs: 60_000, onWait: () => void holder.kill("SIGKILL") })
  t.same(r.output, { deployed: "bb.0" })
  const lock = await lockSysroot(s)
  await lock.release()
  await t.rejects(lockSysroot(join(s, "nope")), { reason: "NotFound", message: /not a sysroot/ })
  const bare = tmpDir(t)
  initToySysroot(bare)
  const l2 = await lockSysroot(bare)
  await l2.release()
  t.pass("a fresh sysroot locks")
})

t.test("STRATA_CRASH_AT parsing and transaction ids", async (t) => {
  t.same(parseCrashAt("DeploymentWritten"), { label: "DeploymentWritten", n: 1 })
  t.same(parseCrashAt("PinChanged:3"), { label: "PinChanged", n: 3 })
  t.same(parseCrashAt("undo:DeployRequested"), { label: "undo:DeployRequested", n: 1 })
  t.same(parseCrashAt("undo:DeployRequested:2"), { label: "undo:DeployRequested", n: 2 })
  t.equal(parseCrashAt(""), undefined)
  const gen = makeTxnIdFactory()
  const ids = Array.from({ length: 500 }, (_, i) => gen(1_700_000_000_000 + Math.floor(i / 100)))
  t.equal(new Set(ids).size, ids.length, "unique")
  t.same([...ids].sort(), ids, "sortable in creation order, also within one millisecond")
  t.equal(txnIdTime(ids[0]!), 1_700_000_000_000)
  t.ok(gen() > ids.at(-1)!, "later ids sort later")
  const last = gen()
  t.ok(gen(1) > last, "a clock going backwards does not reorder ids")
})

t.test("plan: the input is computed under the lock, after recovery, before anything is recorded", async (t) => {
  const s = await fresh(t, "plan")
  t.equal(child(s, ["deploy", JSON.stringify(deployB)], "toy:write-half").signal, "SIGKILL")
  t.ok(readToyDisk(s).partial.length > 0, "a half-written deployment before")
  const seen: string[][] = []
  const r = await runTransaction({
    sysroot: s,
    definition: toyDeploy,
    definitions: toyDefinitions,
    plan: async ({ sysroot }) => {
      const disk = readToyDisk(sysroot)
      seen.push(disk.partial)
      return { ...deployB, bootversion: disk.bootversion }
    },
  })
  t.same(seen, [[]], "plan ran once, after recovery had removed the partial deployment")
  t.equal(r.recovered[0]?.action, "aborted")
  const before = (await readLog(s)).length
  await t.rejects(runTransaction({ sysroot: s, definition: toyDeploy, plan: async () => Promise.reject(new Error("no such ref")) }), { message: "no such ref" })
  const after = (await readLog(s)).slice(before)
  t.same(after.map((e) => e.type), ["TransactionStarted", "TransactionFailed"], "a plan that throws is recorded as a failed transaction, nothing else")
  t.equal((after[1]!.data as { error: string }).error, "no such ref", "with its reason")
})
