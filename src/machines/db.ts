/**
 * `strata db diff` / `strata db list` (rpm-ostree `src/app/rpmostree-db-builtin-{diff,list}.cxx`):
 * the package lists of commits and deployments, compared. Read-only: no lock, no event.
 *
 * Which commits, as rpm-ostree picks them:
 * - diff with no REV: booted vs pending, else rollback vs booted (pending and rollback of the
 *   booted deployment's stateroot, as ostree_sysroot_query_deployments_for decides them);
 * - diff REV: booted vs REV; diff FROM TO: FROM vs TO (revisions of `--repo`, default the
 *   sysroot's repository);
 * - list: each leading argument that resolves to a commit is a REV; from the first one that
 *   does not, the rest are patterns.
 * `--base` compares the deployments' base commits rather than their client layers.
 *
 * A sysroot that is not booted (an image being prepared, a test sysroot) has no "booted": the
 * default deployment (index 0, the one that boots next) stands in for it, its predecessor of the
 * same stateroot for the rollback, and the result carries a note saying so.
 */
import { diffPkglists, type PkgDiff } from "../formats/rpmostree/pkg-diff.js"
import { matchPackages } from "../formats/rpmostree/pkg-match.js"
import type { PkgEntry } from "../formats/rpmostree/pkglist.js"
import { baseCommitOf, pkglistOfCommit } from "../io/repo/commit-pkglist.js"
import { RepoError } from "../io/repo/error.js"
import { openRepo, type Repo } from "../io/repo/repo.js"
import { revParse } from "../io/repo/rev.js"
import { repoPath } from "../io/sysroot/layout.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import type { Deployment } from "../io/sysroot/types.js"

export interface DbTarget {
  /** What the user named ("booted deployment", a ref, a checksum). */
  readonly desc: string
  readonly checksum: string
}

export interface DbOptions {
  /** Default `/`. Needed when a deployment is implied. */
  readonly sysroot?: string
  /** The booted system's run directory (staged deployment, ostree-booted). */
  readonly runDir?: string
  /** Repository for revisions; default the sysroot's. */
  readonly repo?: string
}

export interface DbDiffResult {
  readonly from: DbTarget
  readonly to: DbTarget
  readonly diff: PkgDiff
  /** Set when the pair was chosen on a sysroot that is not booted. */
  readonly note?: string
}

export interface DbListResult {
  readonly lists: ReadonlyArray<{ readonly target: DbTarget; readonly packages: ReadonlyArray<PkgEntry> }>
  readonly patterns: ReadonlyArray<string>
  readonly note?: string
}

const invalid = (op: string, detail: string): RepoError => new RepoError({ op, reason: "Invalid", detail })

interface Deployments {
  readonly booted?: Deployment
  readonly pending?: Deployment
  readonly rollback?: Deployment
  /** True when `booted` is the default deployment standing in for a booted one. */
  readonly standIn: boolean
}

/**
 * ostree_sysroot_query_deployments_for(NULL) around the booted deployment: pending is the first
 * of its stateroot before it, rollback the first after it. Without a booted one, the default
 * deployment (index 0) stands in and the next of its stateroot is the rollback.
 */
export const pickDeployments = <D extends { readonly stateroot: string }>(list: ReadonlyArray<D>, bootedIndex: number | undefined): { booted?: D; pending?: D; rollback?: D; standIn: boolean } => {
  if (bootedIndex !== undefined && list[bootedIndex]) {
    const booted = list[bootedIndex]!
    const same = list.filter((d) => d.stateroot === booted.stateroot)
    const at = same.indexOf(booted)
    return { booted, ...(at > 0 ? { pending: same[0]! } : {}), ...(same[at + 1] ? { rollback: same[at + 1]! } : {}), standIn: false }
  }
  const first = list[0]
  if (!first) return { standIn: true }
  const next = list.slice(1).find((d) => d.stateroot === first.stateroot)
  return { booted: first, ...(next ? { rollback: next } : {}), standIn: true }
}

const deploymentsOf = async (o: DbOptions): Promise<Deployments> => {
  const state = await loadSysroot({ sysroot: o.sysroot ?? "/", ...(o.runDir ? { runDir: o.runDir } : {}) })
  return pickDeployments(state.deployments, state.bootedIndex)
}

const openFor = async (o: DbOptions): Promise<Repo> => openRepo(o.repo ?? repoPath(o.sysroot ?? "/"))

const resolve = async (repo: Repo, rev: string): Promise<DbTarget> => ({ desc: rev, checksum: await revParse(repo, rev) })

const deploymentTarget = async (repo: Repo, desc: string, d: Deployment, base: boolean): Promise<DbTarget> => ({
  desc,
  checksum: base ? await baseCommitOf(repo, d.checksum) : d.checksum,
})

const NOT_BOOTED = "the sysroot is not booted: the default deployment (index 0) stands in for the booted one"

export const dbDiff = async (o: DbOptions & { readonly revs: ReadonlyArray<string>; readonly base?: boolean }): Promise<DbDiffResult> => {
  const op = "db diff"
  if (o.revs.length > 2) throw invalid(op, "takes at most 2 arguments: [FROM [TO]]")
  const repo = await openFor(o)
  let from: DbTarget
  let to: DbTarget
  let note: string | undefined
  if (o.revs.length === 2) {
    from = await resolve(repo, o.revs[0]!)
    to = await resolve(repo, o.revs[1]!)
  } else {
    const ds = await deploymentsOf(o)
    if (!ds.booted) throw new RepoError({ op, reason: "NotFound", detail: "the sysroot has no deployments" })
    const booted = ds.standIn ? "default deployment" : "booted deployment"
    if (ds.standIn) note = NOT_BOOTED
    if (o.revs.length === 1) {
      from = await deploymentTarget(repo, booted, ds.booted, !!o.base)
      to = await resolve(repo, o.revs[0]!)
    } else if (ds.pending) {
      from = await deploymentTarget(repo, booted, ds.booted, !!o.base)
      to = await deploymentTarget(repo, "pending deployment", ds.pending, !!o.base)
    } else if (ds.rollback) {
      from = await deploymentTarget(repo, ds.standIn ? "previous deployment" : "rollback deployment", ds.rollback, !!o.base)
      to = await deploymentTarget(repo, booted, ds.booted, !!o.base)
    } else throw new RepoError({ op, reason: "NotFound", detail: "no pending or rollback deployment to diff against" })
  }
  const [a, b] = await Promise.all([pkglistOfCommit(repo, from.checksum), pkglistOfCommit(repo, to.checksum)])
  return { from, to, diff: diffPkglists(a.packages, b.packages), ...(note ? { note } : {}) }
}

export const dbList = async (o: DbOptions & { readonly args: ReadonlyArray<string> }): Promise<DbListResult> => {
  const repo = await openFor(o)
  const targets: DbTarget[] = []
  let i = 0
  for (; i < o.args.length; i++) {
    try {
      targets.push(await resolve(repo, o.args[i]!))
    } catch (e) {
      if ((e as { _tag?: string })._tag !== "RepoError") throw e
      break
    }
  }
  const patterns = o.args.slice(i)
  let note: string | undefined
  if (targets.length === 0) {
    const ds = await deploymentsOf(o)
    if (!ds.booted) throw new RepoError({ op: "db list", reason: "NotFound", detail: `"${o.args[0] ?? ""}" is not a commit here, and the sysroot has no deployments` })
    if (ds.standIn) note = NOT_BOOTED
    targets.push({ desc: ds.standIn ? "default deployment" : "booted deployment", checksum: ds.booted.checksum })
  }
  const lists = []
  for (const target of targets) lists.push({ target, packages: matchPackages((await pkglistOfCommit(repo, target.checksum)).packages, patterns) })
  return { lists, patterns, ...(note ? { note } : {}) }
}
