/**
 * The world of the upgrade tests: an archive repo written by the real `ostree` and served over
 * HTTP on 127.0.0.1 (commits v1…, branch testos/stable, and testos/next for rebases), and a
 * booted strata sysroot (run directory with ostree-booted) that deployed v1 from it through the
 * remote `origin`. `check` is the crash-test invariant set after `strata recover`.
 */
import type { Test } from "tap"
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { allDeploymentDirs } from "../../src/io/sysroot/deployment-dirs.js"
import { deploymentPath } from "../../src/io/sysroot/layout.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { stagedTarget } from "../../src/io/sysroot/staged.js"
import { verifyEventLog } from "../../src/events/open.js"
import { eventLogPath } from "../../src/events/path.js"
import { readDiskSnapshot } from "../../src/machines/reconcile.js"
import { driftOf } from "../../src/projections/drift.js"
import { pythonServer } from "../helpers/http.js"
import { makeOsTree } from "../helpers/sysroot.js"
import { strata, type RunResult } from "../helpers/tmp.js"
import { foldLog } from "./harness.js"

export type Tap = Pick<Test, "same" | "ok" | "notOk" | "equal" | "match" | "teardown">

const ostree = (repo: string, ...args: string[]): string => execFileSync("ostree", [`--repo=${repo}`, ...args], { encoding: "utf8" }).trim()

export interface Server {
  readonly repo: string
  readonly url: string
  /** Commits `version` on `branch` (timestamps grow with `at`) and updates the summary. */
  readonly publish: (branch: string, version: string, at: number) => string
}

export const makeServer = async (t: Tap, dir: string): Promise<Server> => {
  const repo = join(dir, "srv")
  ostree(repo, "init", "--mode=archive")
  const publish = (branch: string, version: string, at: number): string => {
    const tree = join(dir, `tree-${branch.replace(/\//g, "_")}-${version}`)
    makeOsTree(tree, { kernel: `kernel-${version}\n`, prettyName: `Test OS ${version}`, etc: { "os.conf": `v${version}\n` } })
    writeFileSync(join(tree, "usr/bin/tool"), `tool ${version}\n`)
    const ts = new Date(Date.UTC(2024, 0, 1) + at * 3600_000).toISOString()
    // the package list rpm-ostree composes record: `tool` follows the version (upgrade --preview)
    const pkglist = `rpmostree.rpmdb.pkglist=[('base', '0', '1', '1', 'noarch'), ('tool', '0', '${version}', '1', 'x86_64')]`
    const c = ostree(repo, "commit", "-b", branch, `--tree=dir=${tree}`, `--timestamp=${ts}`, `--add-metadata-string=version=${version}`, `--add-metadata=${pkglist}`, "-s", version)
    ostree(repo, "summary", "-u")
    return c
  }
  const url = await pythonServer(t, repo)
  return { repo, url, publish }
}

export const runDirOf = (S: string): string => {
  const r = join(S, "run")
  mkdirSync(r, { recursive: true })
  writeFileSync(join(r, "ostree-booted"), "")
  return r
}

export const ok = (t: Tap, r: RunResult, what: string): RunResult => {
  t.equal(r.status, 0, `${what}: exit 0 ${r.status !== 0 ? r.stderr : ""}`)
  return r
}

/** A sysroot at `S` that deployed origin:testos/stable (the server's current commit). */
export const makeSysroot = (t: Tap, S: string, url: string): string => {
  ok(t, strata(["admin", "init-fs", S]), "init-fs")
  ok(t, strata(["admin", "os-init", "testos", "--sysroot", S]), "os-init")
  ok(t, strata(["repo", "remote", "add", `--repo=${S}/ostree/repo`, "--no-gpg-verify", "origin", url]), "remote add")
  ok(t, strata(["repo", "pull", `--repo=${S}/ostree/repo`, "origin:testos/stable"]), "pull")
  ok(t, strata(["admin", "deploy", "--os=testos", "origin:testos/stable", "--sysroot", S]), "deploy")
  runDirOf(S)
  return S
}

/** strata with the sysroot and its run directory. */
export const sst = (S: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): RunResult =>
  strata([...args, "--sysroot", S, "--run-dir", join(S, "run")], { env })

/** Boot list, staged deployment and its state file, deployment dirs: what tells old from new. */
export const observe = async (S: string): Promise<string> => {
  const runDir = join(S, "run")
  const disk = await loadSysroot({ sysroot: S, runDir })
  const name = (d: { checksum: string; serial: number }) => `${d.checksum.slice(0, 12)}.${d.serial}`
  return JSON.stringify({
    list: disk.deployments.filter((d) => !d.staged).map(name),
    staged: disk.staged ? name(disk.staged) : null,
    stagedFile: (await stagedTarget(runDir)) ? name((await stagedTarget(runDir))!) : null,
    dirs: (await allDeploymentDirs(S)).map(name).sort(),
  })
}

/** The crash-test invariants; returns `observe`. */
export const check = async (t: Tap, S: string, label: string): Promise<string> => {
  const runDir = join(S, "run")
  const disk = await loadSysroot({ sysroot: S, runDir })
  const f = await foldLog(S)
  const report = driftOf(f.deployments, await readDiskSnapshot(S, runDir), true)
  t.same(report.drift, [], `${label}: projections equal the disk`)
  for (const d of await allDeploymentDirs(S)) {
    const p = deploymentPath(S, d)
    t.ok(existsSync(join(p, "usr/lib/os-release")) && existsSync(`${p}.origin`), `${label}: ${d.checksum.slice(0, 8)}.${d.serial} is complete`)
  }
  t.notOk(existsSync(join(S, "boot/loader.tmp")) || existsSync(join(S, `ostree/boot.${disk.bootversion}.tmp`)), `${label}: no pending swap link`)
  for (const d of disk.deployments.filter((x) => !x.staged)) t.ok(existsSync(deploymentPath(S, d)), `${label}: listed ${d.checksum.slice(0, 8)} exists (bootable)`)
  const status = spawnSync("ostree", ["admin", "status", `--sysroot=${S}`], { encoding: "utf8" })
  t.equal(status.status, 0, `${label}: ostree admin status reads it`)
  t.equal(spawnSync("ostree", ["fsck", `--repo=${S}/ostree/repo`], { encoding: "utf8" }).status, 0, `${label}: ostree fsck clean`)
  t.same(Object.keys(f.inflight), [], `${label}: nothing in flight`)
  t.ok((await verifyEventLog(eventLogPath(S))).ok, `${label}: log verify`)
  return observe(S)
}
