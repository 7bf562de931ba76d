/**
 * Deployments end to end through strata's own steps: /etc merge cases (checked against what
 * `ostree admin deploy` does with the same trees and edits), bad input that must change nothing,
 * and the idempotence/undo contract the transaction runtime relies on.
 */
import t from "tap"
import { chmodSync, chownSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { tmpdir } from "node:os"
import { spawnSync } from "node:child_process"
import { sysrootTmp, makeOsTree, snapshot } from "../helpers/sysroot.js"
import { ostree, ostreeCommit, strataDeploy, writeList } from "../helpers/sysroot-flow.js"
import { initFs, osInit, deploymentPath, staterootVarPath, loaderTmpPath } from "../../src/io/sysroot/layout.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { planDeployment, prepareDeployment, removeDeployment, emptyStaterootVar } from "../../src/io/sysroot/deployment.js"
import { discardBootloaderSide, readLoaderSide, swapBootloader, writeBootloaderSide } from "../../src/io/sysroot/bootloader.js"
import { originForRefspec } from "../../src/io/sysroot/origin.js"
import { SysrootError } from "../../src/io/sysroot/error.js"
import { RepoError } from "../../src/io/repo/error.js"
import { commitTree } from "../../src/io/repo/commit.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { variant } from "../../src/formats/gvariant/index.js"
import { clearStagedState, finalizeStagedEtc, writeStagedState } from "../../src/io/sysroot/staged.js"
import { cleanupSysroot } from "../../src/io/sysroot/cleanup.js"
import { kargsWithoutOstree } from "../../src/io/sysroot/kargs.js"

/** A strata-made sysroot with stateroot testos, and a way to commit trees into its repo. */
const strataSysroot = async (dir: string) => {
  const S = join(dir, "sysroot")
  await initFs(S)
  await osInit({ sysroot: S, stateroot: "testos" })
  const commit = async (tree: string, version: string, branch = "testos/stable"): Promise<string> =>
    (await commitTree(await openRepo(join(S, "ostree/repo")), {
      branch, trees: [{ dir: tree }], subject: version, metadata: [["version", variant("s", version)]], timestamp: 1700000000n,
    })).commit
  return { S, commit }
}

const origin = originForRefspec("testos/stable")

t.test("/etc merge: every kind of local change ends up as ostree admin deploy leaves it", async (t) => {
  const dir = sysrootTmp(t)
  const oldTree = join(dir, "old")
  const newTree = join(dir, "new")
  const defaults = {
    "kept.conf": "v1\n", "edited.conf": "v1\n", "removed.conf": "v1\n", "gone-upstream.conf": "v1\n",
    "to-link.conf": "v1\n", "to-dir": "v1\n", "mode.conf": "v1\n", "owner.conf": "v1\n", "sub/": "", "sub/x.conf": "v1\n",
  }
  makeOsTree(oldTree, { etc: defaults })
  const { "gone-upstream.conf": _g, ...rest } = defaults
  makeOsTree(newTree, { etc: { ...rest, "kept.conf": "v2\n", "edited.conf": "v2\n", "removed.conf": "v2\n", "fresh.conf": "new\n" } })
  const localEdits = (etc: string): void => {
    writeFileSync(join(etc, "edited.conf"), "local\n")
    rmSync(join(etc, "removed.conf"))
    writeFileSync(join(etc, "gone-upstream.conf"), "local\n")
    rmSync(join(etc, "to-link.conf"))
    symlinkSync("kept.conf", join(etc, "to-link.conf"))
    rmSync(join(etc, "to-dir"))
    mkdirSync(join(etc, "to-dir"))
    writeFileSync(join(etc, "to-dir/inner"), "inner\n")
    chmodSync(join(etc, "mode.conf"), 0o600)
    chownSync(join(etc, "owner.conf"), 1000, 1000)
    mkdirSync(join(etc, "added/deep"), { recursive: true, mode: 0o750 })
    writeFileSync(join(etc, "added/deep/file"), "added\n")
    writeFileSync(join(etc, "sub/local.conf"), "local\n")
  }
  const A = join(dir, "ostree-made")
  mkdirSync(A)
  ostree(["admin", "init-fs", A])
  ostree(["admin", "os-init", "testos", `--sysroot=${A}`])
  const { S: B } = await strataSysroot(join(dir, "b"))
  for (const S of [A, B]) ostreeCommit(join(S, "ostree/repo"), oldTree, "testos/stable", "1")
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "testos/stable"])
  await strataDeploy({ sysroot: B, stateroot: "testos", refspec: "testos/stable" })
  for (const S of [A, B]) localEdits(join(deploymentPath(S, (await loadSysroot(S)).deployments[0]!), "etc"))
  for (const S of [A, B]) ostreeCommit(join(S, "ostree/repo"), newTree, "testos/stable", "2")
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "testos/stable"])
  await strataDeploy({ sysroot: B, stateroot: "testos", refspec: "testos/stable" })
  const etcA = join(deploymentPath(A, (await loadSysroot(A)).deployments[0]!), "etc")
  const etcB = join(deploymentPath(B, (await loadSysroot(B)).deployments[0]!), "etc")
  const owners = (etc: string) => spawnSync("find", [etc, "-printf", "%P %u:%g %m %y\\n"], { encoding: "utf8" }).stdout.split("\n").sort()
  t.same(snapshot(etcB), snapshot(etcA), "same /etc content, types, modes and links as ostree's merge")
  t.same(owners(etcB), owners(etcA), "same owners as ostree's merge")
  const read = (p: string) => readFileSync(join(etcB, p), "utf8")
  t.equal(read("kept.conf"), "v2\n", "untouched default takes the new version")
  t.equal(read("edited.conf"), "local\n", "modified: the local copy wins over the new default")
  t.notOk(existsSync(join(etcB, "removed.conf")), "removed locally stays removed")
  t.equal(read("gone-upstream.conf"), "local\n", "modified file whose default disappeared is kept")
  t.equal(readlinkSync(join(etcB, "to-link.conf")), "kept.conf", "file replaced by a symlink")
  t.equal(read("to-dir/inner"), "inner\n", "file replaced by a directory")
  t.equal(read("added/deep/file"), "added\n", "added nested directories are created")
  t.equal(read("sub/local.conf"), "local\n", "added file in an existing directory")
  t.equal(read("fresh.conf"), "new\n", "a new default appears")
})

t.test("bad input changes nothing: no kernel, /etc conflict, missing ref", async (t) => {
  const dir = sysrootTmp(t)
  const { S, commit } = await strataSysroot(dir)
  const noKernel = join(dir, "nokernel")
  makeOsTree(noKernel, { kernel: null })
  await commit(noKernel, "0", "testos/nokernel")
  let before = snapshot(S)
  await t.rejects(prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/nokernel", origin }), { _tag: "SysrootError", code: "NoKernel", reason: "NotFound" }, "a commit without a kernel is refused")
  t.same(snapshot(S), before, "…and leaves the sysroot as it was")

  await t.rejects(prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/missing", origin }), RepoError, "a missing ref is refused")
  t.same(snapshot(S), before, "…and leaves the sysroot as it was")

  const v1 = join(dir, "v1")
  makeOsTree(v1, { etc: { "thing.conf": "file\n" } })
  await commit(v1, "1")
  await strataDeploy({ sysroot: S, stateroot: "testos", refspec: "testos/stable", kargs: "rw" })
  const state = await loadSysroot(S)
  writeFileSync(join(deploymentPath(S, state.deployments[0]!), "etc/thing.conf"), "local edit\n")
  const v2 = join(dir, "v2")
  makeOsTree(v2, { etc: { "thing.conf/": "", "thing.conf/part": "now a directory\n" } })
  await commit(v2, "2")
  before = snapshot(S)
  const err = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable", origin, mergeFrom: state.deployments[0]! }).catch((e) => e)
  t.ok(err instanceof SysrootError && err.code === "EtcConflict", "a locally modified file whose new default is a directory is an EtcConflict")
  t.match(String(err.message), /\/etc\/thing\.conf/, "the error names the file")
  t.same(snapshot(S), before, "…and leaves the sysroot as it was")
  // ostree refuses the same merge
  const A = join(dir, "ostree-made")
  mkdirSync(A)
  ostree(["admin", "init-fs", A])
  ostree(["admin", "os-init", "testos", `--sysroot=${A}`])
  ostreeCommit(join(A, "ostree/repo"), v1, "testos/stable", "1")
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "testos/stable"])
  writeFileSync(join(deploymentPath(A, (await loadSysroot(A)).deployments[0]!), "etc/thing.conf"), "local edit\n")
  ostreeCommit(join(A, "ostree/repo"), v2, "testos/stable", "2")
  const r = spawnSync("ostree", ["admin", "deploy", `--sysroot=${A}`, "--os=testos", "testos/stable"], { encoding: "utf8" })
  t.not(r.status, 0, "ostree admin deploy refuses it too")
  t.match(r.stderr, /newly defaults to directory/, "with the same reason")
})

/** Whether this process may mount a tmpfs (root in most CI containers; not everywhere). */
const canMount = ((): boolean => {
  const d = join(tmpdir(), `strata-mount-probe-${process.pid}`)
  mkdirSync(d, { recursive: true })
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", d]).status === 0
  if (ok) spawnSync("umount", [d])
  rmSync(d, { recursive: true, force: true })
  return ok
})()

t.test("a full /boot is refused before anything is written", { skip: canMount ? false : "cannot mount a tmpfs here" }, async (t) => {
  const dir = sysrootTmp(t)
  const { S, commit } = await strataSysroot(dir)
  const tree = join(dir, "tree")
  makeOsTree(tree)
  await commit(tree, "1")
  await strataDeploy({ sysroot: S, stateroot: "testos", refspec: "testos/stable", kargs: "rw" })
  // Move /boot onto a 64 KiB tmpfs that cannot take a 200 KB kernel.
  const boot = join(dir, "smallboot")
  mkdirSync(boot)
  t.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", boot]).status, 0)
  spawnSync("cp", ["-a", `${S}/boot/.`, boot])
  rmSync(join(S, "boot"), { recursive: true })
  symlinkSync(boot, join(S, "boot"))
  makeOsTree(tree, { kernel: "k".repeat(200_000) })
  await commit(tree, "2")
  const big = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable", origin })
  const before = snapshot(S)
  const bootBefore = snapshot(boot)
  await t.rejects(writeBootloaderSide({ sysroot: S, deployments: [big.deployment, ...(await loadSysroot(S)).deployments] }), { _tag: "SysrootError", code: "NoSpace", reason: "NoSpace" }, "not enough room in /boot is refused")
  t.same(snapshot(S), before, "…before writing anything to the sysroot")
  t.same(snapshot(boot), bootBefore, "…or to /boot")
  t.same(await writeBootloaderSide({ sysroot: S, deployments: (await loadSysroot(S)).deployments }).then((s) => s.kind), "noop", "the unchanged list still needs nothing")
})

t.test("steps are idempotent and undoable, as the runtime's recovery needs", async (t) => {
  const dir = sysrootTmp(t)
  const { S, commit } = await strataSysroot(dir)
  const tree = join(dir, "tree")
  makeOsTree(tree, { varFiles: { "lib/seed/data": "seed\n" } })
  const c1 = await commit(tree, "1")
  const first = await strataDeploy({ sysroot: S, stateroot: "testos", refspec: "testos/stable", kargs: "rw" })
  writeFileSync(join(tree, "usr/etc/two.conf"), "2\n")
  await commit(tree, "2")

  // prepareDeployment: plan → crash mid-checkout → rerun with the same serial.
  const plan = await planDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable" })
  t.equal(plan.serial, 0, "first serial of a new checksum is 0")
  const partial = deploymentPath(S, plan)
  mkdirSync(join(partial, "usr"), { recursive: true })
  writeFileSync(join(partial, "usr/half-written"), "x")
  const again = await planDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable" })
  t.equal(again.serial, 1, "a leftover directory makes a fresh plan pick the next serial")
  const prep = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: plan.checksum, serial: plan.serial, origin, mergeFrom: first[0]! })
  t.notOk(existsSync(join(partial, "usr/half-written")), "the rerun replaced the partial directory")
  const prep2 = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: plan.checksum, serial: plan.serial, origin, mergeFrom: first[0]! })
  t.same(prep2.deployment, prep.deployment, "running it twice gives the same deployment")
  t.equal(prep.deployment.kargs, first[0]!.kargs, "kargs inherited from the merge deployment")
  await t.rejects(prepareDeployment({ sysroot: S, stateroot: "testos", commit: c1, serial: 0, origin }), { code: "BadState" }, "never replaces a deployment in the boot list")

  // writeBootloaderSide twice, discard, write again, swap twice.
  const before = snapshot(S)
  const list = [prep.deployment, first[0]!]
  const side = await writeBootloaderSide({ sysroot: S, deployments: list })
  const afterWrite = snapshot(S)
  const side2 = await writeBootloaderSide({ sysroot: S, deployments: list })
  t.same(side2, side, "rerunning writeBootloaderSide reports the same side")
  t.same(snapshot(S), afterWrite, "…and leaves the same files")
  // A crash part-way through: some of the side is missing, some is stale.
  rmSync(loaderTmpPath(S))
  rmSync(join(S, `boot/loader.${side.bootversion}/entries`, side.entries[0]!))
  writeFileSync(join(S, `boot/loader.${side.bootversion}/entries/ostree-9-stale.conf`), "title stale\n")
  await writeBootloaderSide({ sysroot: S, deployments: list })
  t.same(snapshot(S), afterWrite, "a rerun after a partial write rebuilds the same side")
  t.same(readLoaderSide(S), { bootversion: side.from.bootversion, subbootversion: side.from.subbootversion, pending: { kind: "bootversion", target: `loader.${side.bootversion}` } }, "readLoaderSide: old side live, swap pending")
  t.same((await loadSysroot(S)).deployments.map((d) => d.checksum), [first[0]!.checksum], "before the swap the sysroot still boots the old list")
  await discardBootloaderSide({ sysroot: S, side })
  t.same(snapshot(S), before, "discardBootloaderSide restores the sysroot exactly")
  const side3 = await writeBootloaderSide({ sysroot: S, deployments: list })
  const swapped = await swapBootloader({ sysroot: S, side: side3 })
  t.ok(swapped.swapped, "swap renamed loader.tmp over loader")
  t.notOk(existsSync(loaderTmpPath(S)), "no loader.tmp left")
  const again2 = await swapBootloader({ sysroot: S, side: side3 })
  t.notOk(again2.swapped, "a second swap is a no-op")
  await t.rejects(discardBootloaderSide({ sysroot: S, side: side3 }), { code: "BadState" }, "no discard past the point of no return")
  const live = await loadSysroot(S)
  t.same(live.deployments.map((d) => [d.checksum, d.serial]), [[prep.deployment.checksum, 0], [first[0]!.checksum, 0]], "after the swap the new list is live")

  // removeDeployment refuses live ones, is idempotent on dead ones; cleanup finishes the rest.
  await t.rejects(removeDeployment({ sysroot: S, deployment: live.deployments[1]! }), { code: "BadState" }, "cannot remove a deployment still in the boot entries")
  const dead = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: plan.checksum, origin })
  t.equal(dead.deployment.serial, 1, "next serial for the same checksum")
  t.same(await removeDeployment({ sysroot: S, deployment: dead.deployment }), { removed: true })
  t.same(await removeDeployment({ sysroot: S, deployment: dead.deployment }), { removed: false }, "removing twice is fine")
  t.notOk(existsSync(`${deploymentPath(S, dead.deployment)}.origin`), "origin removed too")
  await writeList(S, [live.deployments[0]!])
  t.equal(readdirSync(join(S, "ostree/deploy/testos/deploy")).length, 2, "cleanup removed the dropped deployment (one dir + its origin left)")
  t.match(ostree(["fsck", `--repo=${S}/ostree/repo`]), /no errors found/)
  t.equal(ostree(["admin", "status", `--sysroot=${S}`]).split("\n").filter((l) => /^\s+testos /.test(l)).length, 1, "ostree admin status agrees")
})

t.test("/var is seeded from the commit only into an empty stateroot /var", async (t) => {
  const dir = sysrootTmp(t)
  const { S, commit } = await strataSysroot(dir)
  const tree = join(dir, "tree")
  makeOsTree(tree, { varFiles: { "lib/app/state": "initial\n" } })
  await commit(tree, "1")
  let prep = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable", origin })
  t.notOk(prep.seededVar, "os-init's /var is not empty: not seeded (ostree 2022.7 behaviour)")
  t.notOk(existsSync(join(staterootVarPath(S, "testos"), "lib/app/state")))
  await removeDeployment({ sysroot: S, deployment: prep.deployment })
  await emptyStaterootVar({ sysroot: S, stateroot: "testos" })
  prep = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable", origin })
  t.ok(prep.seededVar, "an empty /var (newer ostree's os-init) is seeded")
  t.equal(readFileSync(join(staterootVarPath(S, "testos"), "lib/app/state"), "utf8"), "initial\n")
  await emptyStaterootVar({ sysroot: S, stateroot: "testos" })
  t.same(readdirSync(staterootVarPath(S, "testos")), [], "emptyStaterootVar undoes the seed")
})

t.test("trees that ship /etc instead of /usr/etc", async (t) => {
  const dir = sysrootTmp(t)
  const { S, commit } = await strataSysroot(dir)
  const tree = join(dir, "tree")
  makeOsTree(tree, { etc: {} })
  rmSync(join(tree, "usr/etc"), { recursive: true })
  mkdirSync(join(tree, "etc"))
  writeFileSync(join(tree, "etc/legacy.conf"), "legacy\n")
  await commit(tree, "1")
  const prep = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable", origin })
  const root = deploymentPath(S, prep.deployment)
  t.equal(readFileSync(join(root, "usr/etc/legacy.conf"), "utf8"), "legacy\n", "/etc moved to /usr/etc")
  t.equal(readFileSync(join(root, "etc/legacy.conf"), "utf8"), "legacy\n", "and copied back to /etc")
  mkdirSync(join(tree, "usr/etc"))
  writeFileSync(join(tree, "usr/etc/x"), "x")
  await commit(tree, "2")
  await t.rejects(prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable", origin }), { code: "BadState" }, "both /etc and /usr/etc is refused")
})

t.test("typed errors for sysroots that are not ready", async (t) => {
  const dir = sysrootTmp(t)
  await t.rejects(loadSysroot(join(dir, "nothing")), { code: "NotInitialized" }, "loadSysroot outside a sysroot")
  await t.rejects(osInit({ sysroot: join(dir, "nothing"), stateroot: "x" }), { code: "NotInitialized" }, "os-init before init-fs")
  const { S } = await strataSysroot(dir)
  const bad = await osInit({ sysroot: S, stateroot: "../escape" }).catch((e) => e)
  t.ok(bad instanceof SysrootError && bad.reason === "Invalid", "a stateroot must be one path component")
  await t.rejects(prepareDeployment({ sysroot: S, stateroot: "nope", commit: "x", origin }), { code: "NotInitialized" }, "deploy into a stateroot without os-init")
  t.same((await osInit({ sysroot: S, stateroot: "testos" })).created, [], "os-init again creates nothing")
  t.same((await initFs(S)).created, [], "init-fs again creates nothing")
  t.ok((await osInit(S, "second")).created.includes(join(S, "ostree/deploy/second/var/tmp")), "osInit(sysroot, stateroot) works too")
  writeFileSync(join(S, "boot/loader"), "not a link")
  await t.rejects(loadSysroot(S), { code: "BadState" }, "boot/loader that is not a symlink")
})

t.test("staged deployment: state file, listed first, kept by cleanup, finalized with a late /etc merge", async (t) => {
  const dir = sysrootTmp(t)
  const runDir = join(dir, "run")
  const { S, commit } = await strataSysroot(dir)
  const tree = join(dir, "tree")
  makeOsTree(tree)
  await commit(tree, "1")
  const [booted] = await strataDeploy({ sysroot: S, stateroot: "testos", refspec: "testos/stable", kargs: "rw quiet" })
  writeFileSync(join(tree, "usr/etc/new.conf"), "2\n")
  await commit(tree, "2")
  const prep = await prepareDeployment({ sysroot: S, stateroot: "testos", commit: "testos/stable", origin, kargs: booted!.kargs })
  await writeStagedState({ runDir, deployment: prep.deployment, mergeFrom: booted! })
  const withRun = await loadSysroot({ sysroot: S, runDir })
  t.match(withRun.deployments, [{ checksum: prep.deployment.checksum, staged: true, index: 0, version: "2" }, { checksum: booted!.checksum, index: 1 }], "staged listed first")
  t.equal(withRun.staged?.checksum, prep.deployment.checksum)
  t.equal(withRun.staged?.kargs, kargsWithoutOstree(booted!.kargs), "kargs from the state file")
  t.equal((await loadSysroot(S)).deployments.length, 1, "offline (no runDir) the staged deployment is not listed, as ostree")
  await cleanupSysroot({ sysroot: S, runDir })
  t.ok(existsSync(deploymentPath(S, prep.deployment)), "cleanup keeps the staged deployment")
  t.match(ostree([`--repo=${S}/ostree/repo`, "refs"]), new RegExp(`ostree/\\d/\\d/0`), "and gives it a ref")
  t.notOk(withRun.deployments.slice(1).some((d) => d.staged))

  // An /etc edit made after staging is carried over at finalization.
  writeFileSync(join(deploymentPath(S, booted!), "etc/late.conf"), "late\n")
  t.same(await clearStagedState({ runDir }), { removed: true })
  const diff = finalizeStagedEtc({ sysroot: S, deployment: prep.deployment, mergeFrom: booted! })
  t.same(diff.added, ["late.conf"])
  const { staged: _s, ...finalized } = withRun.deployments[0]!
  const side = await writeBootloaderSide({ sysroot: S, deployments: [finalized, booted!] })
  await swapBootloader({ sysroot: S, side })
  const after = await loadSysroot({ sysroot: S, runDir })
  t.same(after.deployments.map((d) => [d.checksum, !!d.staged]), [[prep.deployment.checksum, false], [booted!.checksum, false]], "finalized: first in the boot entries, no longer staged")
  t.equal(readFileSync(join(deploymentPath(S, prep.deployment), "etc/late.conf"), "utf8"), "late\n")
  t.match(readFileSync(join(S, "boot/loader/entries/ostree-2-testos.conf"), "utf8"), /^options rw quiet ostree=/m, "kargs carried")
})
