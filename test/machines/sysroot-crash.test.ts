/**
 * Crash safety of the real sysroot machines (issue 3 item 6): deploy, rollback, undeploy and
 * cleanup on a sysroot made by src/io/sysroot, SIGKILLed right after each of their events, then
 * `recover`. After each: the live boot list is the complete old one or the complete new one and
 * every listed deployment exists; no partial deployment, no pending swap link; projections equal
 * what loadSysroot reads from the disk; `ostree admin status` lists the same deployments;
 * `ostree fsck` is clean; nothing is in flight; `log verify` passes.
 */
import t from "tap"
import type { Test } from "tap"
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { commitTree } from "../../src/io/repo/commit.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { variant } from "../../src/formats/gvariant/index.js"
import { initFs, osInit } from "../../src/io/sysroot/layout.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { verifyEventLog } from "../../src/events/open.js"
import { eventLogPath } from "../../src/events/path.js"
import { recover, transactionDefinitions } from "../../src/machines/index.js"
import { makeOsTree, sysrootTmp } from "../helpers/sysroot.js"
import { foldLog, readLog } from "./harness.js"

const run = fileURLToPath(new URL("./sysroot-run.js", import.meta.url))
const child = (sysroot: string, args: ReadonlyArray<string>, crashAt?: string) => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env["STRATA_CRASH_AT"]
  if (crashAt) env["STRATA_CRASH_AT"] = crashAt
  return spawnSync(process.execPath, [run, sysroot, ...args], { encoding: "utf8", env })
}
const cpA = (from: string, to: string): string => {
  const r = spawnSync("cp", ["-a", from, to])
  if (r.status !== 0) throw new Error(`cp -a failed: ${r.stderr}`)
  return to
}

/** A sysroot with commits v1 and v2 (different kernels), v1 deployed; and the two checksums. */
const makeSysroot = async (dir: string) => {
  const S = join(dir, "template")
  await initFs(S)
  await osInit({ sysroot: S, stateroot: "testos" })
  const commits: string[] = []
  for (const v of ["1", "2"]) {
    const tree = join(dir, `tree${v}`)
    makeOsTree(tree, { kernel: `kernel-${v}\n`, prettyName: `Test OS ${v}`, etc: { "os.conf": `v${v}\n` } })
    commits.push((await commitTree(await openRepo(join(S, "ostree/repo")), { branch: `testos/v${v}`, trees: [{ dir: tree }], subject: v, metadata: [["version", variant("s", v)]], timestamp: 1700000000n })).commit)
  }
  const r = child(S, ["deploy", "testos", "testos/v1"])
  if (r.status !== 0) throw new Error(r.stderr)
  return { S, v1: `${commits[0]}.0`, v2: `${commits[1]}.0` }
}

const labelsOf = async (sysroot: string, fromPos: number): Promise<string[]> => {
  const seen = new Map<string, number>()
  return (await readLog(sysroot)).filter((e) => e.pos >= fromPos).map((e) => {
    const n = (seen.get(e.type) ?? 0) + 1
    seen.set(e.type, n)
    return `${e.type}:${n}`
  })
}

const deploymentDirs = (S: string): string[] => {
  const root = join(S, "ostree/deploy/testos/deploy")
  return readdirSync(root).filter((n) => !n.endsWith(".origin")).sort()
}

type Tap = Pick<Test, "same" | "ok" | "notOk" | "equal">

/** The invariants after recovery; returns the live boot list as `checksum.serial`. */
const check = async (t: Tap, S: string, label: string): Promise<string[]> => {
  const disk = await loadSysroot({ sysroot: S })
  const live = disk.deployments.map((d) => `${d.checksum}.${d.serial}`)
  const f = await foldLog(S)
  const p = f.deployments
  t.same(p.order.map((id) => `${p.byId[id]!.checksum}.${p.byId[id]!.serial}`), live, `${label}: projected boot order = boot entries`)
  t.same([p.bootversion, p.subbootversion], [disk.bootversion, disk.subbootversion], `${label}: projected loader = boot/loader, ostree/boot.B`)
  t.same(Object.values(p.byId).map((v) => `${v.checksum}.${v.serial}`).sort(), deploymentDirs(S), `${label}: projected deployments = directories`)
  for (const d of disk.deployments) t.ok(existsSync(join(S, "ostree/deploy/testos/deploy", `${d.checksum}.${d.serial}`, "usr/lib/os-release")), `${label}: ${d.checksum.slice(0, 8)} complete`)
  t.notOk(existsSync(join(S, "boot/loader.tmp")) || existsSync(join(S, `ostree/boot.${disk.bootversion}.tmp`)), `${label}: no pending swap link`)
  const status = spawnSync("ostree", ["admin", "status", `--sysroot=${S}`], { encoding: "utf8" })
  t.same([...status.stdout.matchAll(/^\s+testos ([0-9a-f]{64}\.\d+)/gm)].map((m) => m[1]), live, `${label}: ostree admin status agrees`)
  t.equal(spawnSync("ostree", ["fsck", `--repo=${S}/ostree/repo`], { encoding: "utf8" }).status, 0, `${label}: ostree fsck clean`)
  t.same(Object.keys(f.inflight), [], `${label}: nothing in flight`)
  t.ok((await verifyEventLog(eventLogPath(S))).ok, `${label}: log verify`)
  return live
}

/** Kills `args` at each of its events (from a clean run), recovers, checks old-or-new. */
const matrix = async (t: Tap, dir: string, template: string, args: string[], oldList: string[], newList: string[], newFrom: string, inside: Record<string, "old" | "new"> = {}) => {
  const start = (await readLog(template)).length + 1
  const clean = cpA(template, join(dir, `${args[0]}-clean`))
  const ok = child(clean, args)
  t.equal(ok.status, 0, `${args[0]}: clean run ${ok.stderr}`)
  t.same(await check(t, clean, `${args[0]} clean`), newList)
  const labels = await labelsOf(clean, start)
  const firstNew = labels.indexOf(newFrom)
  t.ok(firstNew >= 0, `${args[0]}: ${newFrom} is among ${labels.join(", ")}`)
  const points: Array<[string, boolean]> = [...labels.map((l, i): [string, boolean] => [l, i >= firstNew]), ...Object.entries(inside).map(([l, side]): [string, boolean] => [l, side === "new"])]
  for (const [label, isNew] of points) {
    const s = cpA(template, join(dir, `${args[0]}-${label.replace(/:/g, "_")}`))
    t.equal(child(s, args, label).signal, "SIGKILL", `${args[0]} ${label}: killed`)
    await recover({ sysroot: s, definitions: transactionDefinitions })
    const live = await check(t, s, `${args[0]} ${label}`)
    t.same(live, isNew ? newList : oldList, `${args[0]} ${label}: ${isNew ? "new" : "old"} boot list`)
  }
}

t.test("deploy, rollback, undeploy, cleanup: killed at every event, recovered", async (t) => {
  const dir = sysrootTmp(t)
  const { S, v1, v2 } = await makeSysroot(dir)
  await check(t, S, "template")
  const inside = { "step:prepared": "old", "step:side-written": "old", "step:swapped": "new", "step:cleaned": "new" } as const
  await matrix(t, dir, S, ["deploy", "testos", "testos/v2"], [v1], [v2, v1], "BootloaderSwapped:1", inside)

  const both = cpA(S, join(dir, "both"))
  t.equal(child(both, ["deploy", "testos", "testos/v2"]).status, 0)
  const { "step:prepared": _, ...noPrepare } = inside
  await matrix(t, dir, both, ["rollback"], [v2, v1], [v1, v2], "BootloaderSwapped:1", noPrepare)
  await matrix(t, dir, both, ["undeploy", "1"], [v2, v1], [v2], "BootloaderSwapped:1")
  await matrix(t, dir, both, ["cleanup"], [v2, v1], [v2, v1], "TransactionStarted:1")
})

t.test("a deploy that fails (no such ref, no kernel) records nothing or TransactionFailed and changes nothing", async (t) => {
  const dir = sysrootTmp(t)
  const { S, v1 } = await makeSysroot(dir)
  const before = (await readLog(S)).length
  const missing = child(S, ["deploy", "testos", "testos/nope"])
  t.equal(missing.status, 1)
  t.match(missing.stderr, /RepoError|not found|nope/i)
  t.equal((await readLog(S)).length, before, "the plan failed: nothing recorded")
  const tree = join(dir, "nokernel")
  makeOsTree(tree, { kernel: null })
  await commitTree(await openRepo(join(S, "ostree/repo")), { branch: "testos/bad", trees: [{ dir: tree }], subject: "bad", timestamp: 1700000000n })
  const bad = child(S, ["deploy", "testos", "testos/bad"])
  t.equal(bad.status, 1)
  const events = (await readLog(S)).slice(before)
  t.same(events.map((e) => e.type), ["TransactionStarted", "DeployRequested", "TransactionFailed"])
  t.match((events[2]!.data as { error: string }).error, /kernel/i)
  t.same(await check(t, S, "no kernel"), [v1], "unchanged")
})
