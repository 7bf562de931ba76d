/**
 * `ostree admin cleanup` (ostree-sysroot-cleanup.c): with the live side as the truth, delete
 * everything nothing refers to — the other bootversion's loader directory and bootlinks, the
 * other sub-bootversion, temporary swap links of an abandoned side, deployment directories not
 * in the boot list, `/boot/ostree/$stateroot-$bootcsum` directories no deployment uses, and the
 * `ostree/$B/$S/$i` refs of inactive sides (rewriting the live ones). Safe to re-run at any
 * time; never touches the live side or the booted deployment. Not undoable, and never needs
 * to be: it only removes what cannot be booted.
 *
 * Then, like `ostree admin cleanup`, the repo is pruned from its refs at depth 0 (the
 * deployment refs just rewritten keep every listed commit); `prune: false` skips that, as
 * ostree's prepare_cleanup does before a deploy.
 */
import { lstatSync, statSync } from "node:fs"
import { readdir } from "node:fs/promises"
import { openRepo, type Repo } from "../repo/repo.js"
import { pruneRepo, type PruneResult } from "../repo/prune.js"
import { sysFsError } from "./error.js"
import { pathExists, rmrf, unlinkIfExists } from "./fs-ops.js"
import { rmrfSplit } from "./rmrf-split.js"
import { deleteDeploymentRefs, writeDeploymentRefs } from "./bootlinks.js"
import { allDeploymentDirs } from "./deployment-dirs.js"
import {
  bootlinkPath, bootPath, deployRoot, deploymentPath, loaderDirPath, loaderTmpPath, repoPath, staterootDeployPath,
  subbootPath, type BootVersion, type DeploymentId,
} from "./layout.js"
import { loadSysroot, parseDeployName } from "./read-state.js"

const other = (v: BootVersion): BootVersion => (v === 0 ? 1 : 0)

export interface CleanupOptions {
  readonly sysroot: string
  /** Passed to loadSysroot, so a staged deployment (listed only in /run) is kept. */
  readonly runDir?: string
  /** Prune unreachable repo objects once refs are rewritten (default true). */
  readonly prune?: boolean
}

export interface CleanupReport {
  readonly removedPaths: string[]
  readonly removedDeployments: DeploymentId[]
  readonly removedBootDirs: string[]
  readonly removedRefs: string[]
  /** Objects counted and deleted by the prune, when it ran. */
  readonly pruned?: PruneResult
}

/** `.origin` files whose deployment directory is gone (a crash between the two removals). */
const orphanOrigins = async (sysroot: string): Promise<string[]> => {
  const out: string[] = []
  for (const r of await readdir(deployRoot(sysroot)).catch(() => [] as string[])) {
    const dir = staterootDeployPath(sysroot, r)
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      if (n.endsWith(".origin") && parseDeployName(n.slice(0, -7)) && !(await pathExists(`${dir}/${n.slice(0, -7)}`))) out.push(`${dir}/${n}`)
    }
  }
  return out
}

/** `*.tmp-<pid>` files anywhere under `dir`. */
const strayRefTemps = async (dir: string): Promise<string[]> => {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = `${dir}/${e.name}`
    if (e.isDirectory()) out.push(...(await strayRefTemps(p)))
    else if (/\.tmp-\d+$/.test(e.name)) out.push(p)
  }
  return out
}

const isRoot = (p: string): boolean => {
  try {
    const a = statSync(p)
    const r = statSync("/")
    return a.dev === r.dev && a.ino === r.ino
  } catch {
    return false
  }
}

const BOOTDIR = /^(.+)-([0-9a-f]{64})$/
/** Temporary names installKernel uses; left behind only by a crash. */
const TMPNAME = /^\..+\.tmp(-[0-9]+)?$/

export const cleanupSysroot = async (opts: CleanupOptions): Promise<CleanupReport> => {
  const { sysroot } = opts
  const op = "cleanup"
  const state = await loadSysroot({ sysroot, ...(opts.runDir ? { runDir: opts.runDir } : {}) })
  const b = state.bootversion
  const s = state.subbootversion
  const removedPaths: string[] = []
  const rm = async (p: string): Promise<void> => {
    if (await pathExists(p)) {
      await rmrf(p, op)
      removedPaths.push(p)
    }
  }

  // cleanup_other_bootversions, plus the temporary links of a side that was never swapped in.
  for (const p of [
    loaderDirPath(sysroot, other(b)), bootlinkPath(sysroot, other(b)), subbootPath(sysroot, other(b), 0),
    subbootPath(sysroot, other(b), 1), subbootPath(sysroot, b, other(s)), loaderTmpPath(sysroot),
    `${bootlinkPath(sysroot, b)}.tmp`, `${bootlinkPath(sysroot, other(b))}.tmp`,
  ]) await rm(p)

  // cleanup_old_deployments
  const live = new Set(state.deployments.map((d) => deploymentPath(sysroot, d)))
  const removedDeployments: DeploymentId[] = []
  for (const d of await allDeploymentDirs(sysroot)) {
    const p = deploymentPath(sysroot, d)
    if (live.has(p) || isRoot(p)) continue
    await unlinkIfExists(`${p}.origin`, op)
    await rmrfSplit(p, op) // a whole OS tree: on two threads
    removedDeployments.push(d)
  }
  for (const o of await orphanOrigins(sysroot)) {
    await unlinkIfExists(o, op)
    removedPaths.push(o)
  }

  const bootcsums = new Set(state.deployments.map((d) => d.bootcsum))
  const removedBootDirs: string[] = []
  const bootOstree = `${bootPath(sysroot)}/ostree`
  for (const e of await readdir(bootOstree, { withFileTypes: true }).catch(() => [])) {
    const m = BOOTDIR.exec(e.name)
    if (!m || !e.isDirectory()) continue
    const dir = `${bootOstree}/${e.name}`
    if (!bootcsums.has(m[2]!)) {
      await rmrf(dir, op)
      removedBootDirs.push(dir)
      continue
    }
    for (const n of await readdir(dir).catch(() => [] as string[])) if (TMPNAME.test(n)) await rm(`${dir}/${n}`)
  }

  // generate_deployment_refs
  let repo: Repo
  try {
    lstatSync(repoPath(sysroot))
    repo = await openRepo(repoPath(sysroot))
  } catch (e) {
    throw sysFsError(op, repoPath(sysroot), e)
  }
  // Temp files an older strata left beside the deployment refs when killed mid-write: ostree
  // would read them as refs.
  for (const p of await strayRefTemps(`${repoPath(sysroot)}/refs/heads/ostree`)) await rm(p)
  const removedRefs = [
    ...(await deleteDeploymentRefs(repo, other(b), 0)),
    ...(await deleteDeploymentRefs(repo, other(b), 1)),
    ...(await deleteDeploymentRefs(repo, b, other(s))),
  ]
  // Like ostree, the staged deployment (listed first) gets a ref too, so a prune keeps its commit.
  await writeDeploymentRefs({ repo, bootversion: b, subbootversion: s, deployments: state.deployments })
  // OSTREE_REPO_PRUNE_FLAGS_REFS_ONLY, depth 0: history behind a ref is not kept.
  const pruned = opts.prune === false ? undefined : await pruneRepo(repo.path, { refsOnly: true, depth: 0 })
  return { removedPaths, removedDeployments, removedBootDirs, removedRefs, ...(pruned ? { pruned } : {}) }
}
