/**
 * `checkout`: materialise a commit (or a subpath of it) as a directory. Hardlinks into the
 * store where the mode allows (`-H`: bare repos, and bare-user with `-U`), else copies. Every
 * object read is verified first, so a corrupted object is refused rather than checked out.
 */
import { existsSync, rmSync, statSync } from "node:fs"
import { S_IFLNK, S_IFMT, S_IFREG, parseBareUserMeta, type Checksum, type Dirmeta, type Dirtree } from "../../formats/ostree/index.js"
import { RepoError } from "./error.js"
import { loadCommit, loadDirmetaSync, loadDirtreeSync, objectPath, readContentObjectSync } from "./object-read.js"
import { xattrBinding } from "./xattr.js"
import { resolveRev } from "./refs.js"
import { poolMinFiles, runVerifyPool, workerCount } from "./import-pool.js"
import { openVerifiedCache } from "./verified-cache.js"
import { devinoKey, type DevinoCache } from "./devino.js"
import { checkoutDir, checkoutFile, type PlannedDir, type WriteCtx } from "./checkout-write.js"
import type { Repo } from "./repo.js"
import { rememberDirtrees } from "./traverse.js"

export interface CheckoutOptions {
  readonly rev: string
  readonly destination: string
  /** -H: hardlink files from the repository; fails where the mode does not allow it. */
  readonly requireHardlinks?: boolean
  /** -U: user mode — do not change ownership, do not write xattrs. */
  readonly userMode?: boolean
  /** --union: overwrite existing files, merge into existing directories. */
  readonly union?: boolean
  /** --subpath: check out only this path of the commit. */
  readonly subpath?: string
  /** --force-copy: never hardlink. */
  readonly forceCopy?: boolean
  /**
   * Also return the devino cache of the hardlinked files (device:inode → checksum), known from
   * the verification every hardlink checkout does anyway — for committing the tree again with
   * ostree's --link-checkout-speedup without scanning the whole repository (layering).
   */
  readonly reportDevino?: boolean
}

export interface CheckoutResult {
  readonly commit: Checksum
  /** With `reportDevino` and hardlinks: every linked object by device and inode. */
  readonly devino?: DevinoCache
}

type Ctx = WriteCtx & { readonly repo: Repo }

const canHardlink = (repo: Repo, opts: CheckoutOptions): boolean => {
  if (opts.forceCopy || repo.mode === "archive") return false
  if (repo.mode === "bare") return !opts.userMode
  return !!opts.userMode // bare-user, bare-user-only: their objects are user-mode files
}

export const checkout = async (repo: Repo, opts: CheckoutOptions): Promise<CheckoutResult> => {
  const commitCsum = await resolveRev(repo, opts.rev, async (c) => (await loadCommit(repo, c)).parent)
  const commit = await loadCommit(repo, commitCsum)
  const hardlink = canHardlink(repo, opts)
  if (opts.requireHardlinks && !hardlink) {
    throw new RepoError({
      op: "checkout",
      reason: "Unsupported",
      detail: repo.mode === "archive" ? "-H needs a bare or bare-user repository (this one is archive)" : "-H with this repo mode needs -U",
    })
  }
  const ctx: Ctx = {
    repo, opts, hardlink, allVerified: false, verified: new Set(), copyInstead: new Set(), cache: hardlink ? openVerifiedCache(repo) : undefined,
  }
  let tree = commit.rootTree
  let meta = commit.rootMeta
  const parts = (opts.subpath ?? "/").split("/").filter(Boolean)
  for (let i = 0; i < parts.length; i++) {
    const dt = loadDirtreeSync(repo, tree)
    const d = dt.dirs.find((x) => x.name === parts[i])
    if (d) {
      tree = d.tree
      meta = d.meta
      continue
    }
    const f = dt.files.find((x) => x.name === parts[i])
    if (f && i === parts.length - 1) {
      checkoutFile(ctx, f.checksum, opts.destination)
      return { commit: commitCsum }
    }
    throw new RepoError({ op: "checkout", reason: "NotFound", detail: `no such path "${opts.subpath}" in ${commitCsum}` })
  }
  // Validate the whole tree (names, checksums) before creating anything, so a hostile or corrupt
  // dirtree leaves the destination untouched.
  const plan = loadPlan(ctx, tree, meta)
  // A large hardlink checkout writes on two threads; the second one starts loading now.
  const writer = hardlink && workerCount() >= 2 && plan.files >= poolMinFiles() ? (await import("./checkout-split.js")) : undefined
  const started = writer?.startWriter()
  // Copies verify as they read; if one fails, remove what this checkout created.
  const created = !existsSync(opts.destination)
  try {
    if (hardlink) await verifyAhead(ctx, plan.root)
    const wctx: Ctx = { ...ctx, allVerified: hardlink }
    if (writer && started) await writer.checkoutSplit(wctx, plan.root, opts.destination, started)
    else checkoutDir(wctx, plan.root, opts.destination, true)
  } catch (e) {
    if (created) rmSync(opts.destination, { recursive: true, force: true })
    throw e
  } finally {
    await started?.close()
  }
  ctx.cache?.flush()
  return { commit: commitCsum, ...(opts.reportDevino && hardlink ? { devino: linkedDevino(ctx) } : {}) }
}

/** The hardlinked objects by device and inode: each was verified (so its inode recorded) before it was linked. */
const linkedDevino = (ctx: Ctx): DevinoCache => {
  const out = new Map<string, Checksum>()
  const dev = statSync(`${ctx.repo.path}/objects`).dev
  for (const c of ctx.verified) {
    if (ctx.copyInstead.has(c)) continue
    const ino = ctx.cache!.inode(c)
    if (ino !== undefined) out.set(devinoKey(dev, ino), c)
  }
  return out
}

/**
 * A hardlink checkout of a large tree verifies every object on the worker pool first (both
 * cores hash), so the link pass that follows only links. Small trees verify inline as they go.
 */
const verifyAhead = async (ctx: Ctx, plan: PlannedDir): Promise<void> => {
  const all = new Set<Checksum>()
  const collect = (p: PlannedDir): void => {
    for (const f of p.tree.files) all.add(f.checksum)
    for (const [, d] of p.dirs) collect(d)
  }
  collect(plan)
  const objects = ctx.repo.mode === "bare-user" ? [...all] : []
  await verifyObjects(ctx, all)
  if (ctx.repo.mode === "bare-user") markStoredSymlinks(ctx, objects)
}

/**
 * bare-user stores a symlink as a regular file holding its target, its real mode in the
 * `user.ostreemeta` xattr: a hardlink to it would check out a file, so it is created as a
 * symlink instead (as ostree does). One getxattr per object, in this mode only.
 */
const markStoredSymlinks = (ctx: Ctx, objects: ReadonlyArray<Checksum>): void => {
  for (const c of objects) {
    if (ctx.copyInstead.has(c)) continue
    const raw = xattrBinding().getAttributeSync(objectPath(ctx.repo, c, "file"), "user.ostreemeta")
    if (raw && (parseBareUserMeta(raw).mode & S_IFMT) === S_IFLNK) ctx.copyInstead.add(c)
  }
}

const verifyObjects = async (ctx: Ctx, all: Set<Checksum>): Promise<void> => {
  // Objects verified before and unchanged since (same inode, size, mtime, mode, owner) are not hashed again.
  // A verified size-0 object is an empty regular file (symlink objects are never empty).
  const cache = ctx.cache!
  for (const c of all) {
    const size = cache.verifiedSize(c)
    if (size === undefined) continue
    ctx.verified.add(c)
    if (size === 0) ctx.copyInstead.add(c)
    all.delete(c)
  }
  const workers = workerCount()
  if (workers < 2 || all.size < poolMinFiles()) {
    for (const c of all) {
      const obj = readContentObjectSync(ctx.repo, c, true)
      ctx.verified.add(c)
      cache.add(c)
      if ((obj.meta.mode & S_IFMT) === S_IFREG && obj.data.length === 0) ctx.copyInstead.add(c)
    }
    return
  }
  const empty = await runVerifyPool(ctx.repo, [...all], workers)
  for (const c of all) {
    ctx.verified.add(c)
    cache.add(c)
  }
  for (const c of empty) ctx.copyInstead.add(c)
}

/**
 * Loads and validates every dirtree and dirmeta below (tree, meta). Identical subtrees (same
 * dirtree and dirmeta — empty directories, repeated layouts) share one planned node, and a
 * dirmeta (most directories share a handful) is read and parsed once.
 */
const loadPlan = (ctx: Ctx, tree: Checksum, meta: Checksum): { root: PlannedDir; files: number } => {
  const nodes = new Map<string, PlannedDir>()
  const metas = new Map<Checksum, Dirmeta>()
  const trees = new Map<Checksum, Dirtree>()
  let files = 0
  const load = (t: Checksum, m: Checksum): PlannedDir => {
    const key = t + m
    const known = nodes.get(key)
    if (known) return known
    let dm = metas.get(m)
    if (!dm) metas.set(m, (dm = loadDirmetaSync(ctx.repo, m)))
    const dt = trees.get(t) ?? loadDirtreeSync(ctx.repo, t)
    trees.set(t, dt)
    files += dt.files.length
    const node: PlannedDir = { tree: dt, meta: dm, dirs: dt.dirs.map((d) => [d.name, load(d.tree, d.meta)] as const) }
    nodes.set(key, node)
    return node
  }
  const root = load(tree, meta)
  rememberDirtrees(ctx.repo.path, trees) // every one verified: a prune in this process need not read them again (traverse.ts)
  return { root, files }
}
