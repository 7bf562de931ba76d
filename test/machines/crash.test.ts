/**
 * Crash safety of the transaction runtime (issue 3 item 6, on toy machines): a child process is
 * SIGKILLed right after each event of a transaction is durable (STRATA_CRASH_AT), and at labels
 * inside the steps' effects (half-written deployment, half-written boot side, just before and just
 * after the rename); then `recover` must leave old-or-new state, no partial files, projections
 * equal to the disk, nothing in flight and a verifiable log. Recovery itself is then killed at
 * each of its own events and undo points, and must still converge when run again.
 */
import t from "tap"
import { appendFileSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { recover } from "../../src/machines/runtime/index.js"
import { A0, A1, B, checkInvariants, child, copySysroot, deployB, foldLog, makeTemplate, name, readLog, tmpDir, toyDefinitions } from "./harness.js"
import { makeToyPin, useToySysroot } from "./toy.js"

/** Every event of a clean run, as crash labels `Type:n`. */
const eventLabels = async (sysroot: string, fromPos: number): Promise<string[]> => {
  const seen = new Map<string, number>()
  return (await readLog(sysroot))
    .filter((e) => e.pos >= fromPos)
    .map((e) => {
      const n = (seen.get(e.type) ?? 0) + 1
      seen.set(e.type, n)
      return `${e.type}:${n}`
    })
}

const OLD = [name(A1), name(A0)]
const NEW = [name(B), name(A1)]

t.test("toy-deploy: kill at every event and inside every step, recover, old-or-new", async (t) => {
  const dir = tmpDir(t)
  const template = await makeTemplate(dir)
  const startPos = (await readLog(template)).length + 1

  // A clean run first: it lists the events to crash at, and shows the "new" state.
  const clean = copySysroot(template, join(dir, "clean"))
  const ok = child(clean, ["deploy", JSON.stringify(deployB)])
  t.equal(ok.status, 0, `clean run succeeds ${ok.stderr}`)
  const labels = await eventLabels(clean, startPos)
  t.same(labels, [
    "TransactionStarted:1", "DeployRequested:1", "DeploymentWritten:1", "BootloaderSwapRequested:1", "BootloaderSwapped:1",
    "DeploymentRemoveRequested:1", "DeploymentRemoved:1", "CleanupRequested:1", "CleanupDone:1", "TransactionCompleted:1",
  ])
  const cleanDisk = await checkInvariants(t, clean, "clean run")
  t.same(cleanDisk.order, NEW)
  t.same(cleanDisk.deployments, [name(A1), name(B)])

  // Which side each crash point must recover to.
  const expectNew = new Set(["BootloaderSwapped:1", "DeploymentRemoveRequested:1", "DeploymentRemoved:1", "CleanupRequested:1", "CleanupDone:1", "TransactionCompleted:1", "toy:after-rename", "toy:remove-half"])
  const points = [...labels, "toy:write-half", "toy:side-half", "toy:before-rename", "toy:after-rename", "toy:remove-half"]
  for (const point of points) {
    const s = copySysroot(template, join(dir, point.replace(/:/g, "_")))
    const r = child(s, ["deploy", JSON.stringify(deployB)], point)
    t.equal(r.signal, "SIGKILL", `${point}: the child was killed there`)
    useToySysroot(s)
    const reports = await recover({ sysroot: s, definitions: toyDefinitions })
    const disk = await checkInvariants(t, s, point)
    const isNew = expectNew.has(point)
    t.same(disk.order, isNew ? NEW : OLD, `${point}: ${isNew ? "new" : "old"} boot list`)
    t.equal(disk.deployments.includes(name(B)), isNew, `${point}: the new deployment ${isNew ? "exists" : "is gone"}`)
    if (point === "TransactionCompleted:1") t.same(reports, [], `${point}: nothing to recover`)
    else {
      t.equal(reports.length, 1, `${point}: one transaction recovered`)
      t.equal(reports[0]!.action, isNew ? "completed" : "aborted", `${point}: ${isNew ? "completed" : "aborted"}`)
      t.equal(reports[0]!.probed, point === "BootloaderSwapRequested:1" || point.includes("rename") || point === "toy:side-half", `${point}: probed only at the point of no return`)
      const last = (await foldLog(s)).last!
      t.equal(last.outcome, isNew ? "completed" : "aborted", `${point}: history says ${last.outcome}`)
    }
    // Recovering again changes nothing.
    const before = (await readLog(s)).length
    t.same(await recover({ sysroot: s, definitions: toyDefinitions }), [], `${point}: a second recover finds nothing`)
    t.equal((await readLog(s)).length, before, `${point}: and appends nothing`)
  }
})

t.test("toy-deploy: recovery killed at each of its own steps converges when run again", async (t) => {
  const dir = tmpDir(t)
  const template = await makeTemplate(dir)
  // Interrupted before (undo twice), at the rename (probe → complete) and mid-removal (finish).
  const cases = ["BootloaderSwapRequested:1", "toy:after-rename", "toy:remove-half"]
  const recoveryPoints = ["undo:BootloaderSwapRequested", "undo:DeployRequested", "TransactionAborted", "BootloaderSwapped", "toy:remove-half", "DeploymentRemoved", "TransactionCompleted"]
  for (const first of cases) {
    const crashed = copySysroot(template, join(dir, `c-${first.replace(/:/g, "_")}`))
    t.equal(child(crashed, ["deploy", JSON.stringify(deployB)], first).signal, "SIGKILL", `${first}: killed`)
    let killedSomewhere = 0
    for (const second of recoveryPoints) {
      const s = copySysroot(crashed, join(dir, `r-${first}-${second}`.replace(/:/g, "_")))
      const r = child(s, ["recover"], second)
      if (r.signal === "SIGKILL") killedSomewhere++
      else t.equal(r.status, 0, `${first} then ${second}: recovery not killed there, so it finished ${r.stderr}`)
      useToySysroot(s)
      await recover({ sysroot: s, definitions: toyDefinitions })
      const disk = await checkInvariants(t, s, `${first} then recovery killed at ${second}`)
      t.same(disk.order, first === "BootloaderSwapRequested:1" ? OLD : NEW, `${first} then ${second}: same side as an uninterrupted recovery`)
    }
    t.ok(killedSomewhere >= 2, `${first}: recovery was killed at ${killedSomewhere} of its steps`)
  }
})

t.test("toy-pin (resume): kill at every event, resume restores the snapshot and replays no entry/exit action", async (t) => {
  const dir = tmpDir(t)
  const template = await makeTemplate(dir)
  const startPos = (await readLog(template)).length + 1
  const input = (s: string) => ({
    notes: join(s, "notes"),
    targets: [
      { ...A1, pinned: true, previous: false },
      { ...A0, pinned: true, previous: false },
      { ...A1, pinned: false, previous: true },
    ],
  })
  const fullNotes = ["enter:pin:0", "exit:pin:0", "enter:pin:1", "exit:pin:1", "enter:pin:2", "exit:pin:2", "enter:done:3"]

  const clean = copySysroot(template, join(dir, "clean"))
  writeFileSync(join(clean, "notes"), "")
  t.equal(child(clean, ["pin", JSON.stringify(input(clean))]).status, 0, "clean run succeeds")
  const labels = await eventLabels(clean, startPos)
  t.same(labels, ["TransactionStarted:1", "PinRequested:1", "PinChanged:1", "PinRequested:2", "PinChanged:2", "PinRequested:3", "PinChanged:3", "TransactionCompleted:1"])
  t.same(readFileSync(join(clean, "notes"), "utf8").trim().split("\n"), fullNotes)
  t.same((await checkInvariants(t, clean, "clean pin")).pinned, [name(A0)])

  for (const point of labels) {
    const s = copySysroot(template, join(dir, point.replace(/:/g, "_")))
    writeFileSync(join(s, "notes"), "")
    t.equal(child(s, ["pin", JSON.stringify(input(s))], point).signal, "SIGKILL", `${point}: killed`)
    useToySysroot(s)
    const reports = await recover({ sysroot: s, definitions: toyDefinitions })
    const disk = await checkInvariants(t, s, point)
    const notes = readFileSync(join(s, "notes"), "utf8").trim()
    if (point === "TransactionStarted:1") {
      // No step recorded, no snapshot: nothing happened, so it is aborted.
      t.equal(reports[0]?.action, "aborted", `${point}: aborted (nothing to resume)`)
      t.same(disk.pinned, [], `${point}: old state`)
      t.equal(notes, "", `${point}: the machine never started`)
    } else if (point === "TransactionCompleted:1") {
      t.same(reports, [], `${point}: nothing to recover`)
    } else {
      t.equal(reports[0]?.action, "resumed", `${point}: resumed from its snapshot`)
      t.same(disk.pinned, [name(A0)], `${point}: new state`)
      t.same(notes.split("\n"), fullNotes, `${point}: every entry/exit action ran exactly once across the crash`)
    }
  }
})

t.test("resume falls back to abort-or-complete when the machine changed and the snapshot no longer restores", async (t) => {
  const dir = tmpDir(t)
  const s = copySysroot(await makeTemplate(dir), join(dir, "s"))
  appendFileSync(join(s, "notes"), "")
  const input = { notes: join(s, "notes"), targets: [{ ...A1, pinned: true, previous: false }, { ...A0, pinned: true, previous: false }] }
  t.equal(child(s, ["pin", JSON.stringify(input)], "PinRequested:2").signal, "SIGKILL")
  useToySysroot(s)
  // A "newer strata" whose pin machine calls the state "pinning": state "pin" is unknown to it.
  const changed = toyDefinitions.map((d) => (d.kind === "toy-pin" ? makeToyPin("pinning") : d))
  const [report] = await recover({ sysroot: s, definitions: changed })
  t.equal(report?.action, "completed", "past its point of no return (a PinChanged), so completed")
  t.match(report?.error, /snapshot could not be restored.*does not exist/, "and says why it did not resume")
  const disk = await checkInvariants(t, s, "fallback")
  t.same(disk.pinned, [name(A0), name(A1)].sort(), "the interrupted step was finished; nothing more was started")
})
