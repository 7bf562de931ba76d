/**
 * The ideas of xstate's test/rehydration.test.ts, applied to snapshots as the runtime persists
 * them (STYLE.md pattern 9): restore from every step event of a real run; the state value, tags
 * and `can` are right at once; no entry action is replayed on restore and none runs on an
 * immediate stop; the interrupted invocation restarts with its persisted input; persisting a
 * restored actor gives the same snapshot back; unknown state values are rejected; an error
 * snapshot rehydrates as an error.
 */
import t from "tap"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { createActor, fromPromise } from "xstate"
import { runTransaction } from "../../src/machines/runtime/index.js"
import { A0, A1, copySysroot, makeTemplate, readLog, tmpDir } from "./harness.js"
import { makePinMachine, toyPin, useToySysroot } from "./toy.js"

t.test("restore from every persisted step snapshot of a run", async (t) => {
  const dir = tmpDir(t)
  const s = copySysroot(await makeTemplate(dir), join(dir, "s"))
  useToySysroot(s)
  const notes = join(s, "notes")
  writeFileSync(notes, "")
  const targets = [{ ...A1, pinned: true, previous: false }, { ...A0, pinned: true, previous: false }]
  const before = (await readLog(s)).length
  await runTransaction({ sysroot: s, definition: toyPin, input: { notes, targets } })
  const steps = (await readLog(s)).slice(before).filter((e) => (e.data as { snapshot?: unknown }).snapshot !== undefined)
  t.same(steps.map((e) => e.type), ["PinRequested", "PinChanged", "PinRequested", "PinChanged"])
  const notesAfterRun = readFileSync(notes, "utf8")

  // The step actor is replaced by one that records its input and never settles, so a restored
  // actor sits exactly where the snapshot says.
  const started: unknown[] = []
  const machine = makePinMachine().provide({
    actors: { pin: fromPromise(({ input }) => (started.push(input), new Promise<never>(() => undefined))) },
  })
  const expected = [
    { value: "pin", i: 0, tag: true, status: "active" },
    { value: "pin", i: 1, tag: true, status: "active" },
    { value: "pin", i: 1, tag: true, status: "active" },
    { value: "done", i: 2, tag: false, status: "done" },
  ]
  for (const [k, e] of steps.entries()) {
    const persisted = (e.data as { snapshot: Record<string, unknown> }).snapshot
    started.length = 0
    const actor = createActor(machine, { snapshot: persisted } as never)
    const snap = actor.getSnapshot()
    const want = expected[k]!
    t.equal(snap.value, want.value, `${e.type}@${e.pos}: state value`)
    t.equal(snap.context.i, want.i, `${e.type}@${e.pos}: context`)
    t.equal(snap.hasTag("pinning"), want.tag, `${e.type}@${e.pos}: tags right before start`)
    t.equal(snap.can({ type: "never" }), false, `${e.type}@${e.pos}: can() right before start`)
    t.equal(snap.status, want.status)
    actor.start()
    t.same(started, want.status === "active" ? [targets[want.i]] : [], `${e.type}@${e.pos}: the interrupted step restarts with its persisted input`)
    t.same(actor.getPersistedSnapshot(), persisted, `${e.type}@${e.pos}: persisting the restored actor gives the same snapshot`)
    actor.stop()
    t.equal(readFileSync(notes, "utf8"), notesAfterRun, `${e.type}@${e.pos}: no entry action replayed on restore, no exit action on stop`)
  }

  // Unknown state values are rejected, not silently mapped.
  const persisted = (steps[1]!.data as { snapshot: Record<string, unknown> }).snapshot
  const bad = createActor(machine, { snapshot: { ...persisted, value: "pinning" } } as never)
  t.equal(bad.getSnapshot().status, "error", "an unknown state value restores as an error (recovery falls back)")
  t.match(String((bad.getSnapshot() as { error?: unknown }).error), /does not exist/)
  t.throws(() => machine.resolveState({ value: "nope" as never, context: { targets, i: 0, notes } }), /does not exist/)
  // An error snapshot stays an error.
  const errored = createActor(machine, { snapshot: { ...persisted, status: "error", error: "boom" } } as never)
  t.equal(errored.getSnapshot().status, "error")
})
