/**
 * Bad input through the CLI (issue 3 item 7): a missing ref, a commit without a kernel, a
 * corrupted object, an /etc merge conflict, a full /boot. Each: one clear line on stderr, a
 * non-zero exit code, nothing changed on disk, a `TransactionFailed` event with the reason.
 */
import t from "tap"
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { spawnSync } from "node:child_process"
import { makeOsTree, snapshot, sysrootTmp } from "../helpers/sysroot.js"
import { ostree, ostreeCommit } from "../helpers/sysroot-flow.js"
import { strata } from "../helpers/tmp.js"
import { loadCommit } from "../../src/io/repo/object-read.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { deploymentPath } from "../../src/io/sysroot/layout.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { readLog } from "./harness.js"

// The event log, the lock file and the repo's cache of verified objects are strata's bookkeeping,
// not the sysroot's state.
const state = (S: string): string[] => snapshot(S, (rel) => rel === "ostree/strata" || rel === "ostree/lock" || rel === "ostree/repo/extensions/strata")

type T = Pick<typeof t, "equal" | "same" | "ok" | "notOk" | "match" | "not">
const refused = async (t: T, S: string, args: string[], code: number, reason: RegExp, what: string, extra?: () => string[]): Promise<void> => {
  const before = state(S)
  const other = extra?.()
  const logBefore = (await readLog(S)).length
  const r = strata([...args, "--sysroot", S])
  t.equal(r.status, code, `${what}: exit ${code}`)
  t.match(r.stderr, /^strata: [^\n]+\n$/, `${what}: one line on stderr`)
  t.match(r.stderr, reason, `${what}: the reason (${r.stderr.trim()})`)
  t.equal(r.stdout, "", `${what}: nothing on stdout`)
  t.same(state(S), before, `${what}: nothing changed`)
  if (extra) t.same(extra(), other, `${what}: nothing changed in /boot`)
  const events = (await readLog(S)).slice(logBefore)
  t.equal(events.at(-1)?.type, "TransactionFailed", `${what}: recorded as a failed transaction`)
  t.match((events.at(-1)?.data as { error?: string })?.error, reason, `${what}: with the reason`)
  t.notOk(events.some((e) => e.type === "BootloaderSwapped" || e.type === "TransactionCompleted"), `${what}: nothing completed`)
}

const canMount = ((): boolean => {
  const d = join(tmpdir(), `strata-mount-probe-${process.pid}`)
  mkdirSync(d, { recursive: true })
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", d]).status === 0
  if (ok) spawnSync("umount", [d])
  rmSync(d, { recursive: true, force: true })
  return ok
})()

t.test("bad input: clear error, non-zero exit, nothing changed, TransactionFailed", async (t) => {
  const dir = sysrootTmp(t)
  const S = join(dir, "s")
  for (const args of [["admin", "init-fs", S], ["admin", "os-init", "testos", "--sysroot", S]]) t.equal(strata(args).status, 0)
  const tree = join(dir, "tree")
  const commit = (branch: string, o: Parameters<typeof makeOsTree>[1] = {}): string => {
    rmSync(tree, { recursive: true, force: true })
    makeOsTree(tree, o)
    return ostreeCommit(join(S, "ostree/repo"), tree, branch, "1")
  }
  commit("testos/stable", { etc: { "thing.conf": "file\n" } })
  t.equal(strata(["admin", "deploy", "--os=testos", "testos/stable", "--sysroot", S]).status, 0)

  await refused(t, S, ["admin", "deploy", "--os=testos", "testos/nope"], 3, /nope/, "a missing ref")
  commit("testos/nokernel", { kernel: null })
  await refused(t, S, ["admin", "deploy", "--os=testos", "testos/nokernel"], 3, /kernel/i, "a commit without a kernel")

  const bad = commit("testos/corrupt", { etc: { "thing.conf": "file\n", "extra.conf": "x\n" } })
  const repo = await openRepo(join(S, "ostree/repo"))
  const root = (await loadCommit(repo, bad)).rootTree
  const obj = join(S, "ostree/repo/objects", root.slice(0, 2), `${root.slice(2)}.dirtree`)
  const bytes = readFileSync(obj)
  bytes[bytes.length - 3] ^= 0xff
  rmSync(obj, { force: true })
  writeFileSync(obj, bytes)
  await refused(t, S, ["admin", "deploy", "--os=testos", "testos/corrupt"], 4, /corrupt/i, "a corrupted object")
  t.not(spawnSync("ostree", ["fsck", `--repo=${S}/ostree/repo`]).status, 0, "(ostree fsck sees the corruption too)")
  bytes[bytes.length - 3] ^= 0xff
  rmSync(obj, { force: true })
  writeFileSync(obj, bytes) // repaired, so the last fsck checks what strata did

  writeFileSync(join(deploymentPath(S, (await loadSysroot(S)).deployments[0]!), "etc/thing.conf"), "local edit\n")
  commit("testos/conflict", { etc: { "thing.conf/": "", "thing.conf/part": "now a directory\n" } })
  await refused(t, S, ["admin", "deploy", "--os=testos", "testos/conflict"], 2, /thing\.conf/, "an /etc merge conflict")
  t.equal(strata(["admin", "undeploy", "7", "--sysroot", S]).status, 3, "a bad index: exit 3")

  if (!canMount) return void t.comment("cannot mount a tmpfs here: full /boot not tested")
  // /boot on a 64 KiB tmpfs that cannot take a 200 KB kernel.
  const boot = join(dir, "smallboot")
  mkdirSync(boot)
  t.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", boot]).status, 0)
  spawnSync("cp", ["-a", `${S}/boot/.`, boot])
  rmSync(join(S, "boot"), { recursive: true })
  symlinkSync(boot, join(S, "boot"))
  commit("testos/big", { kernel: "k".repeat(200_000) })
  await refused(t, S, ["admin", "deploy", "--os=testos", "testos/big"], 8, /not enough space in \/boot/, "a full /boot", () => snapshot(boot))
  t.match(ostree(["fsck", `--repo=${S}/ostree/repo`]), /no errors found/, "ostree fsck clean after all of it")
  t.equal(strata(["log", "verify", "--sysroot", S]).status, 0)
})
