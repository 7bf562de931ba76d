/**
 * The sysroot commands through the public entry (bin/strata.js) against the real `ostree admin`:
 * the same operations through `strata admin …` and `ostree admin …` give the same sysroot (files,
 * boot entries, refs, status text); then the rpm-ostree-level commands (status --json/-v,
 * rollback, cleanup -p/-r/-b, kargs) on the strata-made one, checked with ostree.
 */
import t from "tap"
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp, makeOsTree, snapshot } from "../helpers/sysroot.js"
import { ostree, ostreeCommit } from "../helpers/sysroot-flow.js"
import { strata } from "../helpers/tmp.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { readLog } from "./harness.js"

// ostree/lock appears once either tool locks (ostree admin os-init does not); the log is strata's own.
const skip = (rel: string): boolean => rel === "ostree/repo" || rel === "ostree/strata" || rel === "ostree/lock"
const status = (S: string): string => ostree(["admin", "status", `--sysroot=${S}`])
const refs = (S: string): string => ostree([`--repo=${S}/ostree/repo`, "refs"]).split("\n").sort().join("\n")

type T = Pick<typeof t, "equal" | "same">
const same = (t: T, A: string, B: string, what: string): void => {
  t.equal(status(B), status(A), `${what}: ostree admin status lists the same deployments`)
  t.same(snapshot(B, skip), snapshot(A, skip), `${what}: same files (boot entries, bootlinks, deployments, origins)`)
  t.equal(refs(B), refs(A), `${what}: same repo refs`)
  const mine = strata(["admin", "status", "--sysroot", B])
  t.equal(mine.stdout, status(B), `${what}: strata admin status prints what ostree admin status prints`)
}

const ok = (t: T, args: string[]): string => {
  const r = strata(args)
  t.equal(r.status, 0, `strata ${args.join(" ")}: ${r.stderr}`)
  return r.stdout
}

t.test("strata admin … and ostree admin … make the same sysroot", async (t) => {
  const dir = sysrootTmp(t)
  const A = join(dir, "ostree-made")
  const B = join(dir, "strata-made")
  mkdirSync(A)
  ostree(["admin", "init-fs", A])
  ok(t, ["admin", "init-fs", B])
  ostree(["admin", "os-init", "testos", `--sysroot=${A}`])
  t.equal(ok(t, ["admin", "os-init", "testos", "--sysroot", B]), "ostree/deploy/testos initialized as OSTree root\n")
  t.same(snapshot(B, skip), snapshot(A, skip), "init-fs + os-init: same skeleton")
  t.same((await readLog(B)).map((e) => e.type).slice(0, 4), ["TransactionStarted", "FsInitRequested", "FsInitialized", "TransactionCompleted"], "the log starts with init-fs")

  const trees = [1, 2, 3].map((i) => {
    const tree = join(dir, `tree${i}`)
    makeOsTree(tree, { kernel: i === 3 ? "kernel-6.2\n" : "kernel-6.1\n", etc: { "os.conf": `default=${i}\n` } })
    return tree
  })
  const commit = (i: number): void => {
    t.equal(ostreeCommit(join(B, "ostree/repo"), trees[i - 1]!, "testos/stable", `42.${i}`), ostreeCommit(join(A, "ostree/repo"), trees[i - 1]!, "testos/stable", `42.${i}`), `commit ${i}: same checksum`)
  }
  commit(1)
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "--karg=root=/dev/vda1", "--karg=rw", "testos/stable"])
  t.match(ok(t, ["admin", "deploy", "--sysroot", B, "--os=testos", "--karg=root=/dev/vda1", "--karg=rw", "testos/stable"]), /^Deployed testos-[0-9a-f]{64}\.0 \(1 deployment, the default\)/)
  same(t, A, B, "deploy --karg")
  commit(2)
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "--karg-append=quiet", "testos/stable"])
  ok(t, ["admin", "deploy", "--sysroot", B, "--os=testos", "--karg-append=quiet", "testos/stable"])
  same(t, A, B, "deploy --karg-append (merge deployment's kargs)")
  ostree(["admin", "pin", `--sysroot=${A}`, "1"])
  t.equal(ok(t, ["admin", "pin", "1", "--sysroot", B]), "Deployment 1 is now pinned\n")
  t.equal(ok(t, ["admin", "pin", "1", "--sysroot", B]), "Deployment 1 is already pinned\n")
  same(t, A, B, "pin 1")
  commit(3)
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "--not-as-default", "testos/stable"])
  ok(t, ["admin", "deploy", "--sysroot", B, "--not-as-default", "testos/stable"])
  same(t, A, B, "deploy --not-as-default (stateroot from the default deployment)")
  ostree(["admin", "kargs", "edit-in-place", "--append-if-missing=console=ttyS0", `--sysroot=${A}`])
  ok(t, ["admin", "kargs", "edit-in-place", "--append-if-missing=console=ttyS0", "--sysroot", B])
  same(t, A, B, "kargs edit-in-place")
  ostree(["admin", "pin", "--unpin", `--sysroot=${A}`, "2"])
  ok(t, ["admin", "pin", "--unpin", "2", "--sysroot", B])
  ostree(["admin", "undeploy", `--sysroot=${A}`, "2"])
  ok(t, ["admin", "undeploy", "2", "--sysroot", B])
  same(t, A, B, "unpin + undeploy")
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "--retain", "testos/stable"])
  ok(t, ["admin", "deploy", "--sysroot", B, "--retain", "testos/stable"])
  same(t, A, B, "deploy --retain")
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "--karg-proc-cmdline", "--karg=quiet=1", "testos/stable"])
  ok(t, ["admin", "deploy", "--sysroot", B, "--karg-proc-cmdline", "--karg=quiet=1", "testos/stable"])
  same(t, A, B, "deploy --karg-proc-cmdline --karg")
  ostree(["admin", "cleanup", `--sysroot=${A}`])
  ok(t, ["admin", "cleanup", "--sysroot", B])
  same(t, A, B, "cleanup")
  t.match(ostree(["fsck", `--repo=${B}/ostree/repo`]), /no errors found/, "ostree fsck is clean")
  t.equal(strata(["log", "verify", "--sysroot", B]).status, 0, "log verify")
  t.notOk((await readLog(B)).some((e) => e.type === "Reconciled"), "strata's own changes never look like drift")
})

t.test("status --json/-v, rollback, cleanup -p/-r/-b, kargs on a strata sysroot", async (t) => {
  const dir = sysrootTmp(t)
  const S = join(dir, "s")
  ok(t, ["admin", "init-fs", S])
  ok(t, ["admin", "os-init", "testos", "--sysroot", S])
  const tree = join(dir, "tree")
  makeOsTree(tree)
  const c1 = ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "42.1")
  ok(t, ["admin", "deploy", "--sysroot", S, "--os=testos", "--karg=root=/dev/vda1", "testos/stable"])
  writeFileSync(join(tree, "usr/etc/two.conf"), "2\n")
  const c2 = ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "42.2")
  ok(t, ["admin", "deploy", "--sysroot", S, "testos/stable"])

  const json = JSON.parse(ok(t, ["status", "--json", "--sysroot", S])) as { deployments: Array<Record<string, unknown>>; transaction: unknown }
  t.same(json.deployments.map((d) => d["checksum"]), [c2, c1], "deployments in boot order")
  t.match(json.deployments[0], {
    id: `testos-${c2}.0`, osname: "testos", checksum: c2, serial: 0, booted: false, staged: false, pinned: false, "finalization-locked": false,
    unlocked: "none", origin: "testos/stable", version: "42.2", timestamp: Number, "requested-packages": [], "base-commit-meta": { version: "42.2" },
  }, "rpm-ostree's field names and values")
  t.equal(json.transaction, null)
  t.match(ok(t, ["status", "-v", "--sysroot", S]), new RegExp(`^State: idle\\nDeployments:\\n  testos/stable\\n\\s+Version: 42\\.2 \\(.*\\)\\n\\s+Commit: ${c2}\\n\\s+StateRoot: testos\\n`), "rpm-ostree's text, verbose")

  t.equal(ok(t, ["rollback", "--sysroot", S]), `Moving '${c1}.0' to be first deployment\nRun "systemctl reboot" to start a reboot\n`)
  t.match(status(S), new RegExp(`^  testos ${c1}\\.0\\n[\\s\\S]*testos ${c2}\\.0`), "ostree admin status: the rollback deployment is first")
  ok(t, ["rollback", "--sysroot", S])

  t.equal(ok(t, ["kargs", "--sysroot", S]).replace(/ ostree=\S+/, ""), "root=/dev/vda1\n", "kargs of the default deployment")
  t.match(ok(t, ["kargs", "--append=quiet", "--replace=root=/dev/vda2", "--sysroot", S]), /^Kernel arguments updated in testos-[0-9a-f]{64}\.1/)
  let st = await loadSysroot(S)
  t.same(st.deployments.map((d) => `${d.checksum}.${d.serial}`), [`${c2}.1`, `${c2}.0`], "a new deployment of the same commit, first")
  t.match(st.deployments[0]!.kargs, /^root=\/dev\/vda2 ostree=\S+ quiet$/, "with the edited arguments")
  t.equal(st.deployments[0]!.origin, st.deployments[1]!.origin, "and the same origin")
  const unchanged = strata(["kargs", "--append-if-missing=quiet", "--unchanged-exit-77", "--sysroot", S])
  t.equal(unchanged.status, 77, "--unchanged-exit-77")
  const editor = join(dir, "editor.sh")
  writeFileSync(editor, "#!/bin/sh\nsed -i 's/quiet/loglevel=3/' \"$1\"\n")
  chmodSync(editor, 0o755)
  t.equal(strata(["kargs", "--editor", "--sysroot", S], { env: { EDITOR: editor } }).status, 0, "kargs --editor")
  st = await loadSysroot(S)
  t.match(st.deployments[0]!.kargs, /^root=\/dev\/vda2 loglevel=3 ostree=\S+$/, "the edited line")
  t.equal(st.deployments.length, 2, "the merge deployment and the new one")

  t.equal(ok(t, ["cleanup", "-p", "--sysroot", S]), "No pending deployment\n", "nothing pending on a sysroot not booted here")
  t.equal(ok(t, ["cleanup", "-r", "--sysroot", S]), "Removed the rollback deployment\n")
  st = await loadSysroot(S)
  t.equal(st.deployments.length, 1, "only the default is left")
  t.match(ok(t, ["cleanup", "-b", "--sysroot", S]), /Cleaned up and pruned/)
  t.equal(strata(["cleanup", "--sysroot", S]).status, 2, "cleanup needs an option")
  t.match(ostree(["fsck", `--repo=${S}/ostree/repo`]), /no errors found/, "ostree fsck is clean")
  t.same([...status(S).matchAll(/testos ([0-9a-f]{64}\.\d+)/g)].map((m) => m[1]), st.deployments.map((d) => `${d.checksum}.${d.serial}`), "ostree admin status agrees")
  t.equal(strata(["log", "verify", "--sysroot", S]).status, 0)
  const hist = JSON.parse(ok(t, ["history", "--json", "--sysroot", S])) as { entries: Array<{ kind?: string; outcome?: string }> }
  t.same(hist.entries.map((e) => e.kind), ["init-fs", "os-init", "deploy", "deploy", "rollback", "rollback", "deploy", "deploy", "undeploy", "cleanup"], "every command is a transaction in the history")
  t.ok(hist.entries.every((e) => e.outcome === "completed"))
  t.equal(readFileSync(join(S, "ostree/repo/config"), "utf8").includes("mode=bare"), true)
})
