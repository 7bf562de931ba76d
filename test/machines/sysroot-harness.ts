/**
 * The harness of the real-sysroot crash tests: sysroots made once and copied per case, the
 * child process (sysroot-run.ts) killed by STRATA_CRASH_AT, and the invariants every recovered
 * sysroot must satisfy (issue 3 item 6):
 *
 * - the live boot list is complete (every listed deployment exists, no pending swap link) and
 *   is the old one or the new one;
 * - no partial deployment directory (each has its tree and its origin);
 * - projections equal the disk (src/projections/drift.ts finds nothing: boot order, loader,
 *   deployments, pins, origins, kargs, the staged deployment);
 * - `ostree admin status` lists the same deployments; `ostree fsck` is clean;
 * - nothing in flight; `log verify` passes.
 */
import type { Test } from "tap"
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { commitTree } from "../../src/io/repo/commit.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { variant } from "../../src/formats/gvariant/index.js"
import { allDeploymentDirs } from "../../src/io/sysroot/deployment-dirs.js"
import { deploymentPath } from "../../src/io/sysroot/layout.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { stagedTarget } from "../../src/io/sysroot/staged.js"
import { verifyEventLog } from "../../src/events/open.js"
import { eventLogPath } from "../../src/events/path.js"
import { readDiskSnapshot } from "../../src/machines/reconcile.js"
import { comparableKargs, driftOf } from "../../src/projections/drift.js"
import { makeOsTree } from "../helpers/sysroot.js"
import { foldLog, readLog } from "./harness.js"

export type Tap = Pick<Test, "same" | "ok" | "notOk" | "equal">

const run = fileURLToPath(new URL("./sysroot-run.js", import.meta.url))

export interface ChildOptions {
  readonly crashAt?: string
  /** The booted run directory (RUN_DIR). */
  readonly runDir?: string
}

export const child = (sysroot: string, args: ReadonlyArray<string>, o: ChildOptions = {}) => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env["STRATA_CRASH_AT"]
  delete env["RUN_DIR"]
  if (o.crashAt) env["STRATA_CRASH_AT"] = o.crashAt
  if (o.runDir) env["RUN_DIR"] = o.runDir
  return spawnSync(process.execPath, [run, sysroot, ...args], { encoding: "utf8", env })
}

/**
 * Runs the child and SIGKILLs it `afterMs` after its modules are loaded (its "ready" line);
 * resolves with its signal and how long it ran after "ready".
 */
export const childKilledAfter = (sysroot: string, args: ReadonlyArray<string>, afterMs: number, o: ChildOptions = {}): Promise<{ signal: NodeJS.Signals | null; ranMs: number }> =>
  new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, STRATA_CRASH_AT: "" }
    if (o.runDir) env["RUN_DIR"] = o.runDir
    const p = spawn(process.execPath, [run, sysroot, ...args], { stdio: ["ignore", "ignore", "pipe"], env })
    let timer: NodeJS.Timeout | undefined
    let ready = 0
    p.stderr!.once("data", () => {
      ready = performance.now()
      timer = setTimeout(() => p.kill("SIGKILL"), afterMs)
    })
    p.on("exit", (_code, signal) => {
      clearTimeout(timer)
      resolve({ signal, ranMs: ready ? performance.now() - ready : 0 })
    })
  })

export const cpA = (from: string, to: string): string => {
  const r = spawnSync("cp", ["-a", from, to])
  if (r.status !== 0) throw new Error(`cp -a failed: ${r.stderr}`)
  return to
}

/** The run directory inside a sysroot copy (so `cp -a` carries it), marked as booted. */
export const runDirOf = (S: string): string => {
  const r = join(S, "run")
  mkdirSync(r, { recursive: true })
  writeFileSync(join(r, "ostree-booted"), "")
  return r
}

/**
 * A sysroot (init-fs and os-init through strata) with commits v1..v3 of `testos` (different
 * kernels), v1 deployed; and the `checksum.serial` names the commits would get.
 */
export const makeSysroot = async (dir: string, name = "template") => {
  const S = join(dir, name)
  for (const args of [["init-fs"], ["os-init", "testos"]]) {
    const r = child(S, args)
    if (r.status !== 0) throw new Error(`${args[0]}: ${r.stderr}`)
  }
  const commits: string[] = []
  for (const v of ["1", "2", "3"]) {
    const tree = join(dir, `tree${v}`)
    makeOsTree(tree, { kernel: `kernel-${v}\n`, prettyName: `Test OS ${v}`, etc: { "os.conf": `v${v}\n` } })
    commits.push((await commitTree(await openRepo(join(S, "ostree/repo")), { branch: `testos/v${v}`, trees: [{ dir: tree }], subject: v, metadata: [["version", variant("s", v)]], timestamp: 1700000000n })).commit)
  }
  const r = child(S, ["deploy", "testos", "testos/v1"])
  if (r.status !== 0) throw new Error(r.stderr)
  return { S, v1: `${commits[0]}.0`, v2: `${commits[1]}.0`, v3: `${commits[2]}.0` }
}

/** `type:n` labels of the events from `fromPos` on (the n-th event of that type). */
export const labelsOf = async (sysroot: string, fromPos: number): Promise<string[]> => {
  const seen = new Map<string, number>()
  return (await readLog(sysroot)).filter((e) => e.pos >= fromPos).map((e) => {
    const n = (seen.get(e.type) ?? 0) + 1
    seen.set(e.type, n)
    return `${e.type}:${n}`
  })
}

/**
 * What a transaction changes, to tell old from new: boot list, pins, kargs, the staged deployment;
 * with `dirs`, the deployment directories too (a transaction completed by recovery past its point
 * of no return leaves removing old directories to the next cleanup, so only cleanup compares them).
 */
export const observe = async (S: string, runDir?: string, dirs = false): Promise<string> => {
  const disk = await loadSysroot({ sysroot: S, ...(runDir ? { runDir } : {}) })
  const name = (d: { checksum: string; serial: number }) => `${d.checksum}.${d.serial}`
  return JSON.stringify({
    list: disk.deployments.filter((d) => !d.staged).map(name),
    pinned: disk.deployments.filter((d) => d.pinned).map(name),
    kargs: disk.deployments.filter((d) => !d.staged).map((d) => comparableKargs(d.kargs)),
    staged: disk.staged ? name(disk.staged) : null,
    stagedFile: runDir ? ((await stagedTarget(runDir)) ?? null) : null,
    ...(dirs ? { dirs: (await allDeploymentDirs(S)).map(name).sort() } : {}),
  })
}

/** The invariants after recovery; returns `observe`. */
export const checkSysroot = async (t: Tap, S: string, label: string, runDir?: string, dirs = false): Promise<string> => {
  const disk = await loadSysroot({ sysroot: S, ...(runDir ? { runDir } : {}) })
  const f = await foldLog(S)
  const report = driftOf(f.deployments, await readDiskSnapshot(S, runDir), runDir !== undefined)
  t.same(report.drift, [], `${label}: projections equal the disk`)
  t.same(report.restage.map((v) => v.id), [], `${label}: no staged deployment lost its state file`)
  for (const d of await allDeploymentDirs(S)) {
    const p = deploymentPath(S, d)
    t.ok(existsSync(join(p, "usr/lib/os-release")) && existsSync(`${p}.origin`), `${label}: ${d.checksum.slice(0, 8)}.${d.serial} is complete`)
  }
  t.notOk(existsSync(join(S, "boot/loader.tmp")) || existsSync(join(S, `ostree/boot.${disk.bootversion}.tmp`)), `${label}: no pending swap link`)
  const live = disk.deployments.filter((d) => !d.staged).map((d) => `${d.checksum}.${d.serial}`)
  const status = spawnSync("ostree", ["admin", "status", `--sysroot=${S}`], { encoding: "utf8" })
  t.same([...status.stdout.matchAll(/^\s+testos ([0-9a-f]{64}\.\d+)/gm)].map((m) => m[1]), live, `${label}: ostree admin status agrees`)
  t.equal(spawnSync("ostree", ["fsck", `--repo=${S}/ostree/repo`], { encoding: "utf8" }).status, 0, `${label}: ostree fsck clean`)
  t.same(Object.keys(f.inflight), [], `${label}: nothing in flight`)
  t.ok((await verifyEventLog(eventLogPath(S))).ok, `${label}: log verify`)
  return observe(S, runDir, dirs)
}

export interface MatrixCase {
  /** The child's arguments (a sysroot-run command). */
  readonly args: ReadonlyArray<string>
  /** The first event label (`Type:n`) after which recovery must give the new state. */
  readonly newFrom: string
  /** Crash points inside steps, and which state recovery must give after each. */
  readonly inside?: Readonly<Record<string, "old" | "new">>
  /** The template has a booted run directory (`template/run`). */
  readonly booted?: boolean
  /** Old and new differ in the deployment directories (cleanup). */
  readonly dirs?: boolean
}

/** Kills `args` at each of its events (from a clean run) and inside labels, recovers, checks old-or-new. */
export const matrix = async (t: Tap, dir: string, template: string, c: MatrixCase): Promise<void> => {
  const name = c.args.join("-").replace(/[^a-z0-9-]/gi, "_")
  const rd = (S: string) => (c.booted ? runDirOf(S) : undefined)
  const start = (await readLog(template)).length + 1
  const oldState = await observe(template, rd(template), c.dirs)
  const clean = cpA(template, join(dir, `${name}-clean`))
  const ok = child(clean, c.args, { runDir: rd(clean) })
  t.equal(ok.status, 0, `${name}: clean run ${ok.stderr}`)
  const newState = await checkSysroot(t, clean, `${name} clean`, rd(clean), c.dirs)
  t.ok(newState !== oldState, `${name}: the clean run changes something`)
  const labels = await labelsOf(clean, start)
  const firstNew = labels.indexOf(c.newFrom)
  t.ok(firstNew >= 0, `${name}: ${c.newFrom} is among ${labels.join(", ")}`)
  const points: Array<[string, boolean]> = [...labels.map((l, i): [string, boolean] => [l, i >= firstNew]), ...Object.entries(c.inside ?? {}).map(([l, side]): [string, boolean] => [l, side === "new"])]
  for (const [label, isNew] of points) {
    const s = cpA(template, join(dir, `${name}-${label.replace(/:/g, "_")}`))
    const killed = child(s, c.args, { crashAt: label, runDir: rd(s) })
    t.equal(killed.signal, "SIGKILL", `${name} ${label}: killed ${killed.signal ? "" : `(exit ${killed.status}: ${killed.stderr.trim()})`}`)
    const rec = child(s, ["recover"], { runDir: rd(s) })
    t.equal(rec.status, 0, `${name} ${label}: recovered ${rec.stderr}`)
    const seen = await checkSysroot(t, s, `${name} ${label}`, rd(s), c.dirs)
    t.equal(seen, isNew ? newState : oldState, `${name} ${label}: the ${isNew ? "new" : "old"} state`)
  }
}
