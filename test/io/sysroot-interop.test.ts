/**
 * Interop with the real `ostree admin` (2022.7): the same sequence of operations run through
 * strata's sysroot steps and through ostree gives the same sysroot — same `ostree admin status`,
 * same BLS entries, same files, same refs — and each tool keeps managing what the other made.
 */
import t from "tap"
import { mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp, makeOsTree, snapshot } from "../helpers/sysroot.js"
import { ostree, ostreeCommit, strataDeploy, writeList } from "../helpers/sysroot-flow.js"
import { deploymentPath, initFs, osInit } from "../../src/io/sysroot/layout.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { setPinned } from "../../src/io/sysroot/pin.js"
import { readLoaderSide, swapBootloader, writeBootloaderSide } from "../../src/io/sysroot/bootloader.js"
import { cleanupSysroot } from "../../src/io/sysroot/cleanup.js"
import type { SysrootState } from "../../src/io/sysroot/types.js"

const skipRepo = (rel: string): boolean => rel === "ostree/repo"
const status = (S: string): string => ostree(["admin", "status", `--sysroot=${S}`])
const refs = (S: string): string => ostree([`--repo=${S}/ostree/repo`, "refs"]).split("\n").sort().join("\n")
/** The repo's objects (names only): prune must keep and drop the same ones. */
const objects = (S: string): string[] => snapshot(join(S, "ostree/repo/objects")).map((l) => l.split(" ").slice(0, 2).join(" "))
const stripPath = (s: SysrootState) => ({ ...s, sysroot: "", repoPath: "" })

/** Everything ostree or a bootloader could look at must match between the two sysroots. */
type T = Pick<typeof t, "equal" | "same">
const same = async (t: T, A: string, B: string, what: string): Promise<void> => {
  t.equal(status(B), status(A), `${what}: ostree admin status lists the same deployments`)
  t.same(snapshot(B, skipRepo), snapshot(A, skipRepo), `${what}: same files (boot entries, bootlinks, deployments, origins)`)
  t.equal(refs(B), refs(A), `${what}: same repo refs`)
  t.same(objects(B), objects(A), `${what}: same repo objects (same prune)`)
  t.same(stripPath(await loadSysroot(B)), stripPath(await loadSysroot(A)), `${what}: loadSysroot reads both alike`)
}

/** The /etc of deployment `index`, as loadSysroot finds it. */
const etcOf = async (S: string, index: number): Promise<string> => join(deploymentPath(S, (await loadSysroot(S)).deployments[index]!), "etc")

t.test("strata and ostree admin make the same sysroot, step by step", async (t) => {
  const dir = sysrootTmp(t)
  const A = join(dir, "ostree-made")
  const B = join(dir, "strata-made")
  mkdirSync(A)
  ostree(["admin", "init-fs", A])
  ostree(["admin", "os-init", "testos", `--sysroot=${A}`])
  await initFs(B)
  await osInit({ sysroot: B, stateroot: "testos" })
  t.same(snapshot(B, skipRepo), snapshot(A, skipRepo), "init-fs + os-init: same skeleton")
  t.equal(readFileSync(join(B, "ostree/repo/config"), "utf8"), readFileSync(join(A, "ostree/repo/config"), "utf8"), "same bare repo config")

  const trees = [1, 2, 3, 4].map((i) => {
    const tree = join(dir, `tree${i}`)
    makeOsTree(tree, {
      kernel: i >= 3 ? "kernel-6.2\n" : "kernel-6.1\n",
      kver: i >= 3 ? "6.2.0" : "6.1.0",
      etc: { "os.conf": `default=${i}\n`, "shipped.conf": "shipped\n", "dir.d/": "", "dir.d/a.conf": "a\n" },
    })
    return tree
  })
  const commit = (i: number) => {
    const a = ostreeCommit(join(A, "ostree/repo"), trees[i - 1]!, "testos/stable", `42.${i}`)
    const b = ostreeCommit(join(B, "ostree/repo"), trees[i - 1]!, "testos/stable", `42.${i}`)
    t.equal(b, a, `commit ${i} has the same checksum in both repos`)
  }

  commit(1)
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "--karg=root=/dev/vda1", "--karg=rw", "testos/stable"])
  await strataDeploy({ sysroot: B, stateroot: "testos", refspec: "testos/stable", kargs: "root=/dev/vda1 rw" })
  await same(t, A, B, "first deploy")

  for (const S of [A, B]) {
    const etc = await etcOf(S, 0)
    writeFileSync(join(etc, "os.conf"), "default=local\n")
    writeFileSync(join(etc, "local.conf"), "mine\n")
    rmSync(join(etc, "shipped.conf"))
    writeFileSync(join(etc, "dir.d/b.conf"), "b\n")
  }
  commit(2)
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "testos/stable"])
  await strataDeploy({ sysroot: B, stateroot: "testos", refspec: "testos/stable" })
  await same(t, A, B, "second deploy with an /etc merge")
  const etcB = await etcOf(B, 0)
  t.equal(readFileSync(join(etcB, "os.conf"), "utf8"), "default=local\n", "the local edit wins")

  ostree(["admin", "pin", `--sysroot=${A}`, "1"])
  await setPinned({ sysroot: B, deployment: (await loadSysroot(B)).deployments[1]!, pinned: true })
  await same(t, A, B, "pin 1")

  commit(3)
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "testos/stable"])
  await strataDeploy({ sysroot: B, stateroot: "testos", refspec: "testos/stable" })
  await same(t, A, B, "third deploy (new kernel, pinned deployment kept)")
  t.equal((await loadSysroot(B)).deployments.length, 3, "three deployments: new, merge, pinned")

  ostree(["admin", "undeploy", `--sysroot=${A}`, "1"])
  const cur = (await loadSysroot(B)).deployments
  await writeList(B, cur.filter((_, i) => i !== 1))
  await same(t, A, B, "undeploy 1")
  const commits = objects(B).filter((l) => l.endsWith(".commit")).length
  const referenced = new Set(ostree([`--repo=${B}/ostree/repo`, "refs"]).trim().split("\n").map((r) => ostree([`--repo=${B}/ostree/repo`, "rev-parse", r]).trim()))
  t.equal(commits, referenced.size, "the undeployed commit was pruned: only referenced commits remain")

  // Each tool keeps managing the other's sysroot.
  commit(4)
  ostree(["admin", "deploy", `--sysroot=${B}`, "--os=testos", "testos/stable"])
  await strataDeploy({ sysroot: A, stateroot: "testos", refspec: "testos/stable" })
  await same(t, A, B, "crossed: ostree deploys on the strata sysroot, strata on the ostree one")

  // rpm-ostree-style rollback through strata on both (ostree admin has no rollback command).
  for (const S of [A, B]) {
    const [d0, d1, ...rest] = (await loadSysroot(S)).deployments
    await writeList(S, [d1!, d0!, ...rest])
  }
  await same(t, A, B, "rollback")
  t.equal(status(A).split("\n")[0]!.trim().split(/\s+/)[1]!.slice(0, 8), (await loadSysroot(A)).deployments[0]!.checksum.slice(0, 8), "the rolled-back-to deployment is listed first")
  ostree(["admin", "cleanup", `--sysroot=${B}`])
  ostree(["admin", "cleanup", `--sysroot=${A}`])
  await same(t, A, B, "ostree admin cleanup after strata's writes changes nothing on either")

  for (const S of [A, B]) t.match(ostree(["fsck", `--repo=${S}/ostree/repo`]), /no errors found/, `ostree fsck is clean (${S === A ? "ostree" : "strata"}-made)`)
})

t.test("two stateroots, a kernel without initramfs, appended kargs: same entries as ostree", async (t) => {
  const dir = sysrootTmp(t)
  const A = join(dir, "ostree-made")
  const B = join(dir, "strata-made")
  mkdirSync(A)
  ostree(["admin", "init-fs", A])
  await initFs(B)
  for (const os of ["testos", "other"]) {
    ostree(["admin", "os-init", os, `--sysroot=${A}`])
    await osInit({ sysroot: B, stateroot: os })
  }
  const t1 = join(dir, "t1")
  const t2 = join(dir, "t2")
  makeOsTree(t1)
  makeOsTree(t2, { initramfs: null, prettyName: "Other OS 42.9" })
  for (const S of [A, B]) {
    ostreeCommit(join(S, "ostree/repo"), t1, "testos/stable", "42.1")
    ostreeCommit(join(S, "ostree/repo"), t2, "other/stable", "42.9")
  }
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "--karg=root=/dev/vda1", "--karg=console=tty0", "testos/stable"])
  await strataDeploy({ sysroot: B, stateroot: "testos", refspec: "testos/stable", kargs: "root=/dev/vda1 console=tty0" })
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=other", "--karg=root=/dev/vda2", "--karg-append=console=ttyS0", "other/stable"])
  await strataDeploy({ sysroot: B, stateroot: "other", refspec: "other/stable", kargs: "root=/dev/vda2 console=ttyS0" })
  await same(t, A, B, "two stateroots")
  const entries = readFileSync(join(B, "boot/loader/entries/ostree-2-other.conf"), "utf8")
  t.match(entries, /^title Other OS 42\.9 \(ostree:other:0\)$/m, "title names the stateroot, version not repeated")
  t.match(entries, /^options root=\/dev\/vda2 console=ttyS0 init=\/ostree\/boot\.0\/other\/[0-9a-f]{64}\/0\/usr\/lib\/ostree\/ostree-prepare-root ostree=/m, "no initramfs: init= before ostree=")
  t.notMatch(entries, /^initrd /m, "no initrd line")
})

t.test("loadSysroot reads a sysroot made by ostree admin deploy", async (t) => {
  const dir = sysrootTmp(t)
  const S = join(dir, "sysroot")
  mkdirSync(S)
  ostree(["admin", "init-fs", S])
  ostree(["admin", "os-init", "testos", `--sysroot=${S}`])
  const tree = join(dir, "tree")
  makeOsTree(tree)
  const c1 = ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "42.1")
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "--karg=root=/dev/vda1", "--karg=rw", "testos/stable"])
  writeFileSync(join(tree, "usr/etc/new.conf"), "x\n")
  const c2 = ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "42.2")
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "testos/stable"])
  ostree(["admin", "pin", `--sysroot=${S}`, "1"])
  const st = await loadSysroot(S)
  const bootcsum = st.deployments[0]!.bootcsum
  t.equal(st.bootversion, 0, "bootversion from boot/loader -> loader.0")
  t.equal(st.subbootversion, 1, "subbootversion from ostree/boot.0 -> boot.0.1")
  t.match(st.deployments, [
    {
      stateroot: "testos", checksum: c2, serial: 0, bootserial: 0, index: 0, version: "42.2", pinned: false,
      origin: "[origin]\nrefspec=testos/stable\n", title: "Test OS 42 42.2 (ostree:0)",
      kargs: `root=/dev/vda1 rw ostree=/ostree/boot.0/testos/${bootcsum}/0`,
    },
    {
      stateroot: "testos", checksum: c1, serial: 0, bootserial: 1, index: 1, version: "42.1", pinned: true,
      origin: "[origin]\nrefspec=testos/stable\n\n[libostree-transient]\npinned=true\n", title: "Test OS 42 42.1 (ostree:1)",
      kargs: `root=/dev/vda1 rw ostree=/ostree/boot.0/testos/${bootcsum}/1`,
    },
  ], "both deployments, in boot order, with origins, pins, versions and kargs")
  t.equal(st.deployments.length, 2)
  t.equal(st.deployments[1]!.bootcsum, bootcsum, "same kernel: same bootcsum, bootserials 0 and 1")
})

t.test("a reorder of identical boot configs swaps only the sub-bootversion, and ostree follows it", async (t) => {
  const dir = sysrootTmp(t)
  const S = join(dir, "sysroot")
  mkdirSync(S)
  ostree(["admin", "init-fs", S])
  ostree(["admin", "os-init", "testos", `--sysroot=${S}`])
  const tree = join(dir, "tree")
  makeOsTree(tree)
  ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "42.1")
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "--karg=rw", "testos/stable"])
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "testos/stable"])
  const before = await loadSysroot(S)
  t.same(before.deployments.map((d) => d.serial), [1, 0], "ostree deployed the commit twice")
  const entriesBefore = snapshot(join(S, "boot"))
  const side = await writeBootloaderSide({ sysroot: S, deployments: [before.deployments[1]!, before.deployments[0]!] })
  t.equal(side.kind, "subbootversion", "same kernel, kargs and version: sub-bootversion path")
  t.same(readLoaderSide(S).pending, { kind: "subbootversion", target: `boot.${before.bootversion}.${1 - before.subbootversion}` }, "the swap is pending")
  t.same((await loadSysroot(S)).deployments.map((d) => d.serial), [1, 0], "nothing visible changed before the swap")
  await swapBootloader({ sysroot: S, side })
  t.same(snapshot(join(S, "boot")), entriesBefore, "/boot untouched")
  const after = await loadSysroot(S)
  t.same(after.deployments.map((d) => d.serial), [0, 1], "order swapped")
  t.equal(after.subbootversion, 1 - before.subbootversion, "subbootversion flipped")
  t.match(status(S), new RegExp(`testos ${before.deployments[1]!.checksum}\\.0[\\s\\S]*testos ${before.deployments[0]!.checksum}\\.1`), "ostree admin status agrees")
  await cleanupSysroot({ sysroot: S })
  t.match(ostree([`--repo=${S}/ostree/repo`, "refs"]), new RegExp(`ostree/${after.bootversion}/${after.subbootversion}/0`), "refs rewritten for the new sub-bootversion")
  t.match(ostree(["fsck", `--repo=${S}/ostree/repo`]), /no errors found/)
})
