/**
 * `checkout`: materialise a commit (or a subpath of it) as a directory. Hardlinks into the
 * store where the mode allows (`-H`: bare repos, and bare-user with `-U`), else copies. Every
 * object read is verified first, so a corrupted object is refused rather than checked out.
 */
import {
  chmodSync, chownSync, closeSync, existsSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, mkdirSync,
  openSync, rmSync, symlinkSync, unlinkSync, writeSync,
} from "node:fs"
import { S_IFMT, S_IFREG, xattrName, type Checksum, type Dirmeta, type Dirtree, type FileMeta } from "../../formats/ostree/index.js"
import { RepoError, fsError } from "./error.js"
import { loadCommit, loadDirmetaSync, loadDirtreeSync, objectPath, readContentObjectSync } from "./object-read.js"
import { resolveRev } from "./refs.js"
import { poolMinFiles, runVerifyPool, workerCount } from "./import-pool.js"
import { openVerifiedCache, type VerifiedCache } from "./verified-cache.js"
import type { Repo } from "./repo.js"
import { xattrBinding } from "./xattr.js"

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
}

interface Ctx {
  readonly repo: Repo
  readonly opts: CheckoutOptions
  readonly hardlink: boolean
  /** Content objects already verified in this checkout (hardlinked objects are read once). */
  readonly verified: Set<Checksum>
  /** Objects checked out as copies even in a hardlink checkout (empty files). */
  readonly copyInstead: Set<Checksum>
  /** Hardlink checkouts: objects verified earlier and unchanged since. */
  readonly cache: VerifiedCache | undefined
}

const canHardlink = (repo: Repo, opts: CheckoutOptions): boolean => {
  if (opts.forceCopy || repo.mode === "archive") return false
  if (repo.mode === "bare") return !opts.userMode
  return !!opts.userMode // bare-user, bare-user-only: their objects are user-mode files
}

/**
 * The walk is synchronous by design: measured on the bench tree, async per-file reads spent more
 * in threadpool hand-offs and buffer churn than in the syscalls, and a checkout is disk-bound.
 */
export const checkout = async (repo: Repo, opts: CheckoutOptions): Promise<{ commit: Checksum }> => {
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
  const ctx: Ctx = { repo, opts, hardlink, verified: new Set(), copyInstead: new Set(), cache: hardlink ? openVerifiedCache(repo) : undefined }
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
  if (hardlink) await verifyAhead(ctx, plan)
  // Copies verify as they read; if one fails, remove what this checkout created.
  const created = !existsSync(opts.destination)
  try {
    checkoutDir(ctx, plan, opts.destination, true)
  } catch (e) {
    if (created) rmSync(opts.destination, { recursive: true, force: true })
    throw e
  }
  ctx.cache?.flush()
  return { commit: commitCsum }
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
  // Objects verified before and unchanged since (same inode, size, ctime) are not hashed again.
  // A verified size-0 object is an empty regular file (symlink objects are never empty).
  const cache = ctx.cache!
  for (const c of all) {
    const size = cache.verifiedSize(c)
    if (size === undefined) continue
    ctx.verified.add(c)
    if (size === 0n) ctx.copyInstead.add(c)
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

interface PlannedDir {
  readonly tree: Dirtree
  readonly meta: Dirmeta
  readonly dirs: ReadonlyArray<readonly [string, PlannedDir]>
}

/**
 * Loads and validates every dirtree and dirmeta below (tree, meta). Identical subtrees (same
 * dirtree and dirmeta — empty directories, repeated layouts) share one planned node, and a
 * dirmeta (most directories share a handful) is read and parsed once.
 */
const loadPlan = (ctx: Ctx, tree: Checksum, meta: Checksum): PlannedDir => {
  const nodes = new Map<string, PlannedDir>()
  const metas = new Map<Checksum, Dirmeta>()
  const load = (t: Checksum, m: Checksum): PlannedDir => {
    const key = t + m
    const known = nodes.get(key)
    if (known) return known
    let dm = metas.get(m)
    if (!dm) metas.set(m, (dm = loadDirmetaSync(ctx.repo, m)))
    const dt = loadDirtreeSync(ctx.repo, t)
    const node: PlannedDir = { tree: dt, meta: dm, dirs: dt.dirs.map((d) => [d.name, load(d.tree, d.meta)] as const) }
    nodes.set(key, node)
    return node
  }
  return load(tree, meta)
}

/**
 * The mode mkdir can create a directory with directly, so no chmod follows (one syscall less per
 * directory): plain permission bits the umask leaves alone, owner rwx (entries are created
 * inside), and a parent without setgid (which mkdir would pass on). Else 0700, then chmod.
 */
const umask = process.umask()
const directMode = (meta: Dirmeta, parentSetgid: boolean): number | undefined => {
  const m = meta.mode & 0o7777
  return !parentSetgid && (m & 0o7000) === 0 && (m & umask) === 0 && (m & 0o700) === 0o700 ? m : undefined
}

const checkoutDir = (ctx: Ctx, plan: PlannedDir, dest: string, top: boolean, parentSetgid = true): void => {
  const direct = top ? undefined : directMode(plan.meta, parentSetgid)
  let made = false
  try {
    mkdirSync(dest, { mode: direct ?? 0o700 })
    made = true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw fsError("checkout: mkdir", dest, e)
    const st = lstatSync(dest)
    if (!st.isDirectory()) {
      if (!ctx.opts.union) throw new RepoError({ op: "checkout", reason: "AlreadyExists", path: dest, detail: "exists and is not a directory" })
      unlinkSync(dest)
      mkdirSync(dest, { mode: 0o700 })
    } else if (!ctx.opts.union && top) {
      throw new RepoError({ op: "checkout", reason: "AlreadyExists", path: dest, detail: "destination exists (use --union to merge)" })
    }
  }
  for (const f of plan.tree.files) checkoutFile(ctx, f.checksum, `${dest}/${f.name}`)
  const setgid = (plan.meta.mode & 0o2000) !== 0
  for (const [name, sub] of plan.dirs) checkoutDir(ctx, sub, `${dest}/${name}`, false, setgid)
  applyDirmeta(ctx, dest, plan.meta, made && direct !== undefined)
}

const applyDirmeta = (ctx: Ctx, dest: string, meta: Dirmeta, modeSet = false): void => {
  try {
    if (!ctx.opts.userMode) {
      if (meta.uid !== euid || meta.gid !== egid) chownSync(dest, meta.uid, meta.gid)
      for (const x of meta.xattrs) xattrBinding().setAttributeSync(dest, xattrName(x), Buffer.from(x[1]))
    }
    if (!modeSet) chmodSync(dest, meta.mode & 0o7777)
  } catch (e) {
    throw fsError("checkout: set directory metadata", dest, e)
  }
}

const euid = process.geteuid?.() ?? -1
const egid = process.getegid?.() ?? -1

/** Replaces whatever is at `dest` when --union, else lets EEXIST surface. */
const clearForUnion = (ctx: Ctx, dest: string): void => {
  if (ctx.opts.union) rmSync(dest, { force: true, recursive: true })
}

const checkoutFile = (ctx: Ctx, csum: Checksum, dest: string): void => {
  try {
    if (ctx.hardlink && !ctx.copyInstead.has(csum)) {
      // Verify once per object (the read also proves it is present), then link. Empty files are
      // created fresh, as ostree does, so thousands of them never share one inode's link count.
      if (!ctx.verified.has(csum)) {
        const obj = readContentObjectSync(ctx.repo, csum, true)
        ctx.verified.add(csum)
        ctx.cache?.add(csum)
        if ((obj.meta.mode & S_IFMT) === S_IFREG && obj.data.length === 0) ctx.copyInstead.add(csum)
      }
      if (!ctx.copyInstead.has(csum)) {
        clearForUnion(ctx, dest)
        linkSync(objectPath(ctx.repo, csum, "file"), dest)
        return
      }
    }
    const obj = readContentObjectSync(ctx.repo, csum, true)
    clearForUnion(ctx, dest)
    writeCopy(ctx, obj.meta, obj.data, dest)
  } catch (e) {
    if (e instanceof RepoError) throw e
    throw fsError("checkout: write file", dest, e)
  }
}

const writeCopy = (ctx: Ctx, meta: FileMeta, data: Buffer, dest: string): void => {
  const user = !!ctx.opts.userMode
  if ((meta.mode & S_IFMT) !== S_IFREG) {
    symlinkSync(meta.symlinkTarget, dest)
    if (!user && (meta.uid !== euid || meta.gid !== egid)) lchownSync(dest, meta.uid, meta.gid)
    return
  }
  const fd = openSync(dest, "wx", 0o600)
  try {
    writeSync(fd, data)
    if (!user && (meta.uid !== euid || meta.gid !== egid)) fchownSync(fd, meta.uid, meta.gid)
    // User mode never creates setuid/setgid files (ostree -U does the same).
    fchmodSync(fd, user ? meta.mode & 0o777 : meta.mode & 0o7777)
    futimesSync(fd, 0, 0)
  } finally {
    closeSync(fd)
  }
  if (!user) for (const x of meta.xattrs) xattrBinding().setAttributeSync(dest, xattrName(x), Buffer.from(x[1]))
}
