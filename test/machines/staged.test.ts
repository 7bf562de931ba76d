/**
 * Staged deployments through the CLI on a booted run directory (--run-dir with ostree-booted):
 * `admin deploy --stage`, status, /etc edits carried over at `admin finalize-staged`, and the
 * policy for a forced power-off: /run (a tmpfs) loses the state file, the log still says staged,
 * and `strata recover` stages it again, so the next shutdown finalizes it. Also: locked
 * finalization, kargs edit-in-place on the staged deployment, `cleanup -p`, and a failed
 * finalization (an /etc conflict) that leaves the deployment staged.
 */
import t from "tap"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { makeOsTree, sysrootTmp } from "../helpers/sysroot.js"
import { ostree, ostreeCommit } from "../helpers/sysroot-flow.js"
import { strata } from "../helpers/tmp.js"
import { deploymentPath } from "../../src/io/sysroot/layout.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { stagedTarget } from "../../src/io/sysroot/staged.js"
import { readDiskSnapshot } from "../../src/machines/reconcile.js"
import { driftOf } from "../../src/projections/drift.js"
import { foldLog, readLog } from "./harness.js"

type T = Pick<typeof t, "equal" | "same" | "ok" | "match">
const run = (t: T, args: string[], code = 0): string => {
  const r = strata(args)
  t.equal(r.status, code, `strata ${args.join(" ")}: ${r.stderr}`)
  return r.stdout + r.stderr
}
const listed = (S: string): string[] => [...ostree(["admin", "status", `--sysroot=${S}`]).matchAll(/testos ([0-9a-f]{64}\.\d+)/g)].map((m) => m[1]!)

const setup = (dir: string) => {
  const S = join(dir, "s")
  const R = join(dir, "run")
  mkdirSync(R)
  writeFileSync(join(R, "ostree-booted"), "")
  const tree = join(dir, "tree")
  const commit = (v: number, etc: Record<string, string> = { "os.conf": `v${v}\n` }): string => {
    rmSync(tree, { recursive: true, force: true })
    makeOsTree(tree, { kernel: `kernel-${v}\n`, etc })
    return ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", `42.${v}`)
  }
  return { S, R, commit, at: ["--sysroot", S, "--run-dir", R] }
}

const consistent = async (t: T, S: string, R: string, what: string): Promise<void> => {
  t.same(driftOf((await foldLog(S)).deployments, await readDiskSnapshot(S, R), true), { drift: [], restage: [] }, `${what}: projections equal the disk`)
  t.match(ostree(["fsck", `--repo=${S}/ostree/repo`]), /no errors found/, `${what}: ostree fsck clean`)
  t.equal(strata(["log", "verify", "--sysroot", S]).status, 0, `${what}: log verify`)
}

t.test("stage, lose /run to a power cut, recover re-stages, finalize at shutdown", async (t) => {
  const dir = sysrootTmp(t)
  const { S, R, commit, at } = setup(dir)
  run(t, ["admin", "init-fs", S])
  run(t, ["admin", "os-init", "testos", "--sysroot", S])
  const c1 = commit(1)
  run(t, ["admin", "deploy", "--os=testos", "--karg=root=/dev/vda1", "testos/stable", ...at])
  const c2 = commit(2)
  t.match(run(t, ["admin", "deploy", "--stage", "testos/stable", ...at]), new RegExp(`^Staged testos-${c2}\\.0; it becomes the default at the next shutdown`))
  t.match(run(t, ["admin", "status", ...at]), new RegExp(`^  testos ${c2}\\.0 \\(staged\\)\\n    Version: 42\\.2\\n    origin refspec: testos/stable\\n  testos ${c1}\\.0\\n`), "admin status lists it first, staged")
  t.same(listed(S), [`${c1}.0`], "no boot entry for it yet")
  const json = JSON.parse(run(t, ["status", "--json", ...at])) as { deployments: Array<{ staged: boolean; checksum: string }> }
  t.same(json.deployments.map((d) => [d.checksum, d.staged]), [[c2, true], [c1, false]])
  await consistent(t, S, R, "staged")

  // An /etc edit made after staging is carried over at finalization.
  writeFileSync(join(deploymentPath(S, (await loadSysroot(S)).deployments[0]!), "etc/local.conf"), "mine\n")
  // Power cut: /run is a tmpfs, the state file is gone; the deployment directory is not.
  rmSync(join(R, "ostree/staged-deployment"))
  t.same(listed(S), [`${c1}.0`])
  const rec = run(t, ["recover", ...at])
  t.match(rec, new RegExp(`re-staged testos-${c2}\\.0: its /run state file was lost; it will be finalized at the next shutdown`), "recover stages it again and says so")
  t.same(await stagedTarget(R), { stateroot: "testos", checksum: c2, serial: 0 }, "the state file names it again")
  const note = (await readLog(S)).filter((e) => e.type === "Reconciled").at(-1)
  t.match(note?.data, { drift: [{ kind: "restaged" }] }, "recorded as a Reconciled event")
  await consistent(t, S, R, "re-staged")

  t.equal(run(t, ["admin", "finalize-staged", ...at]), `Finalized testos-${c2}.0\n`)
  t.same(listed(S), [`${c2}.0`, `${c1}.0`], "ostree admin status: the staged deployment is the default")
  t.notOk(existsSync(join(R, "ostree/staged-deployment")), "the state file is gone")
  const st = await loadSysroot(S)
  t.equal(readFileSync(join(deploymentPath(S, st.deployments[0]!), "etc/local.conf"), "utf8"), "mine\n", "the /etc edit was merged in")
  t.match(st.deployments[0]!.kargs, /^root=\/dev\/vda1 ostree=/, "kargs from the merge deployment")
  await consistent(t, S, R, "finalized")
  t.equal(run(t, ["admin", "finalize-staged", ...at]), "No deployment staged for finalization\n", "nothing staged: says so, succeeds")

  // rpm-ostree kargs on a booted system stages the same commit with the new arguments.
  t.match(run(t, ["kargs", "--append=loglevel=3", ...at]), new RegExp(`^Kernel arguments updated in testos-${c2}\\.1`))
  t.match((await loadSysroot({ sysroot: S, runDir: R })).deployments[0], { staged: true, checksum: c2, serial: 1, kargs: /^root=\/dev\/vda1 ostree=\S+ loglevel=3$/ }, "staged, with the edited arguments")
  run(t, ["admin", "finalize-staged", ...at])
  t.match((await loadSysroot(S)).deployments[0]!.kargs, /^root=\/dev\/vda1 ostree=\S+ loglevel=3$/, "and boots with them once finalized")
  await consistent(t, S, R, "kargs staged and finalized")
})

t.test("locked finalization, kargs edit-in-place on the staged deployment, cleanup -p, a failed finalization", async (t) => {
  const dir = sysrootTmp(t)
  const { S, R, commit, at } = setup(dir)
  run(t, ["admin", "init-fs", S])
  run(t, ["admin", "os-init", "testos", "--sysroot", S])
  const c1 = commit(1, { "thing.conf": "file\n" })
  run(t, ["admin", "deploy", "--os=testos", "testos/stable", ...at])
  t.match(run(t, ["admin", "deploy", "--stage", "testos/stable", "--sysroot", S], 2), /cannot stage a deployment: not booted/, "staging needs a booted run directory")

  const c2 = commit(2)
  run(t, ["admin", "deploy", "--stage", "--lock-finalization", "testos/stable", ...at])
  t.match(run(t, ["admin", "finalize-staged", ...at]), /^Not finalizing/, "locked: not finalized")
  t.same(listed(S), [`${c1}.0`])
  run(t, ["admin", "kargs", "edit-in-place", "--append-if-missing=quiet", ...at])
  t.match((await loadSysroot({ sysroot: S, runDir: R })).deployments[0], { staged: true, kargs: "quiet" }, "the staged deployment's kargs are in its state file")
  t.match(run(t, ["status", "-v", ...at]), /Staged: yes \(finalization locked\)/)
  await consistent(t, S, R, "locked")

  t.equal(run(t, ["cleanup", "-p", ...at]), "Removed the pending deployment\n", "cleanup -p discards the staged deployment")
  t.notOk(existsSync(join(R, "ostree/staged-deployment")), "its state file")
  t.notOk(existsSync(join(S, `ostree/deploy/testos/deploy/${c2}.0`)), "and its directory")
  await consistent(t, S, R, "discarded")

  // A local edit where the new default is a directory: finalization fails, the deployment stays staged.
  writeFileSync(join(deploymentPath(S, (await loadSysroot(S)).deployments[0]!), "etc/thing.conf"), "local edit\n")
  const c3 = commit(3, { "thing.conf/": "", "thing.conf/part": "now a directory\n" })
  run(t, ["admin", "deploy", "--stage", "testos/stable", ...at])
  const fail = strata(["admin", "finalize-staged", ...at])
  t.not(fail.status, 0, "finalization fails")
  t.match(fail.stderr, /^strata: .*thing\.conf.*\n$/, "one line naming the file")
  t.same(await stagedTarget(R), { stateroot: "testos", checksum: c3, serial: 0 }, "still staged")
  t.same(listed(S), [`${c1}.0`], "the boot list is unchanged")
  t.match(readFileSync(join(S, "boot/ostree/finalize-failure.stamp"), "utf8"), /thing\.conf/, "the failure is left in finalize-failure.stamp")
  const failed = (await readLog(S)).filter((e) => e.type === "TransactionFailed").at(-1)
  t.match(failed?.data, { error: /thing\.conf/ }, "TransactionFailed with the reason")
  await consistent(t, S, R, "failed finalization")
})
