/**
 * Crash safety of the other sysroot machines (issue 3 item 6), with the invariants of
 * sysroot-harness.ts after each kill + `strata recover`: pin and kargs edit-in-place (resumed),
 * stage and finalize-staged (on a booted run directory), discarding a staged deployment (undeploy
 * of index 0, and a plain deploy over it), init-fs and os-init.
 */
import t from "tap"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { spawnSync } from "node:child_process"
import { verifyEventLog } from "../../src/events/open.js"
import { eventLogPath } from "../../src/events/path.js"
import { sysrootTmp } from "../helpers/sysroot.js"
import { foldLog, readLog } from "./harness.js"
import { child, cpA, labelsOf, makeSysroot, matrix, runDirOf } from "./sysroot-harness.js"

t.test("pin and kargs edit-in-place: killed at every event, resumed", async (t) => {
  const dir = sysrootTmp(t)
  const { S } = await makeSysroot(dir)
  const two = cpA(S, join(dir, "two"))
  t.equal(child(two, ["deploy", "testos", "testos/v2"]).status, 0)
  await matrix(t, dir, two, { args: ["pin", "0,1"], newFrom: "PinRequested:1", inside: { "step:pinned:2": "new" } })
  await matrix(t, dir, two, { args: ["kargs", "quiet"], newFrom: "KargsChangeRequested:1", inside: { "step:kargs-written": "new" } })
})

t.test("stage and finalize-staged: killed at every event; a staged deployment is never lost", async (t) => {
  const dir = sysrootTmp(t)
  const { S } = await makeSysroot(dir)
  runDirOf(S)
  await matrix(t, dir, S, { args: ["stage", "testos", "testos/v2"], booted: true, newFrom: "DeploymentStaged:1", inside: { "step:prepared": "old", "step:staged": "new" } })
  const staged = cpA(S, join(dir, "staged"))
  t.equal(child(staged, ["stage", "testos", "testos/v2"], { runDir: runDirOf(staged) }).status, 0)
  await matrix(t, dir, staged, {
    args: ["finalize"],
    booted: true,
    newFrom: "BootloaderSwapped:1",
    inside: { "step:etc-merged": "old", "step:side-written": "old", "step:swapped": "new", "step:unstaged": "new" },
  })
  // Discarding it: undeploy of index 0 (a no-op swap, then the state file goes) …
  await matrix(t, dir, staged, { args: ["undeploy", "0"], booted: true, newFrom: "BootloaderSwapRequested:1", inside: { "step:unstaged": "new", "step:cleaned": "new" } })
  // … and a plain deploy, which writes a list the staged deployment is not first in.
  await matrix(t, dir, staged, { args: ["deploy", "testos", "testos/v3"], booted: true, newFrom: "BootloaderSwapped:1", inside: { "step:swapped": "new", "step:unstaged": "new" } })
})

t.test("init-fs and os-init: killed at every event, the sysroot is made once recovered", async (t) => {
  const dir = sysrootTmp(t)
  const made = join(dir, "made")
  t.equal(child(made, ["init-fs"]).status, 0)
  const fsLabels = await labelsOf(made, 1)
  t.same(fsLabels, ["TransactionStarted:1", "FsInitRequested:1", "FsInitialized:1", "TransactionCompleted:1"], "the log starts with init-fs")
  const osFrom = (await readLog(made)).length + 1
  t.equal(child(made, ["os-init", "testos"]).status, 0)
  const osLabels = await labelsOf(made, osFrom)
  t.same(osLabels, ["TransactionStarted:1", "OsInitRequested:1", "OsInitialized:1", "TransactionCompleted:1"], "then os-init")
  const complete = (S: string): boolean => ["boot", "dev", "home", "proc", "run", "sys", "root", "tmp", "ostree/repo/objects", "ostree/deploy/testos/var/lib"].every((p) => existsSync(join(S, p)))
  const cases = [
    ...fsLabels.map((l) => ({ label: l, before: [] as string[][], args: ["init-fs"] })),
    ...osLabels.map((l) => ({ label: l, before: [["init-fs"]], args: ["os-init", "testos"] })),
    ...["step:fs-initialized"].map((l) => ({ label: l, before: [] as string[][], args: ["init-fs"] })),
    ...["step:os-initialized"].map((l) => ({ label: l, before: [["init-fs"]], args: ["os-init", "testos"] })),
  ]
  for (const c of cases) {
    const name = `${c.args[0]} ${c.label}`
    const S = join(dir, `${c.args[0]}-${c.label.replace(/:/g, "_")}`)
    for (const b of c.before) t.equal(child(S, b).status, 0)
    t.equal(child(S, c.args, { crashAt: c.label }).signal, "SIGKILL", `${name}: killed`)
    t.equal(child(S, ["recover"]).status, 0, `${name}: recovered`)
    t.same(Object.keys((await foldLog(S)).inflight), [], `${name}: nothing in flight`)
    t.ok((await verifyEventLog(eventLogPath(S))).ok, `${name}: log verify`)
    // Whatever the kill left, running the commands again finishes the sysroot, and ostree takes it.
    t.equal(child(S, ["init-fs"]).status, 0, `${name}: init-fs again`)
    t.equal(child(S, ["os-init", "testos"]).status, 0, `${name}: os-init again`)
    t.ok(complete(S), `${name}: a complete sysroot`)
    t.equal(spawnSync("ostree", ["admin", "status", `--sysroot=${S}`], { encoding: "utf8" }).status, 0, `${name}: ostree admin status reads it`)
    t.equal(spawnSync("ostree", ["fsck", `--repo=${S}/ostree/repo`]).status, 0, `${name}: ostree fsck clean`)
    t.same(readdirSync(join(S, "ostree/deploy")), ["testos"], `${name}: one stateroot`)
    t.same(Object.keys((await foldLog(S)).deployments.byId), [], `${name}: no deployments projected`)
    t.ok((await readLog(S)).every((e) => e.type !== "Reconciled"), `${name}: no drift`)
  }
})
