/**
 * Writing a planned tree to disk: directories, hardlinks into the store, copies. Shared by the
 * main thread and the checkout worker (checkout-split.ts), so both write exactly alike.
 *
 * The walk is synchronous by design: measured on the bench tree, async per-file reads spent more
 * in threadpool hand-offs and buffer churn than in the syscalls, and a checkout is disk-bound.
 */
import {
  chmodSync, chownSync, closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, mkdirSync,
  openSync, rmSync, symlinkSync, unlinkSync, writeSync,
} from "node:fs"
import { S_IFLNK, S_IFMT, S_IFREG, xattrName, type Checksum, type Dirmeta, type Dirtree, type FileMeta } from "../../formats/ostree/index.js"
import { RepoError, fsError } from "./error.js"
import { objectPath, readContentObjectSync, type RepoAt } from "./object-read.js"
import type { VerifiedCache } from "./verified-cache.js"
import { xattrBinding } from "./xattr.js"

export interface PlannedDir {
  readonly tree: Dirtree
  readonly meta: Dirmeta
  readonly dirs: ReadonlyArray<readonly [string, PlannedDir]>
}

export interface WriteOptions {
  /** -U: user mode — do not change ownership, do not write xattrs. */
  readonly userMode?: boolean
  /** --union: overwrite existing files, merge into existing directories. */
  readonly union?: boolean
}

/** Where the walk hands subtrees to the other thread (see checkout-split.ts). */
export interface SplitHooks {
  /** Subtree roots the other thread writes: skipped here. */
  readonly elsewhere: ReadonlySet<string>
  /** Directories above them, made before the split (value: mode already final). */
  readonly premade: ReadonlyMap<string, boolean>
  /** Their metadata, applied once the other thread is done (children first). */
  readonly deferred: Array<() => void>
}

export interface WriteCtx {
  readonly repo: RepoAt
  readonly opts: WriteOptions
  readonly hardlink: boolean
  /** Every content object was verified before the walk (a hardlink checkout verifies ahead). */
  readonly allVerified: boolean
  /** Content objects already verified in this checkout (hardlinked objects are read once). */
  readonly verified: Set<Checksum>
  /** Objects checked out as copies even in a hardlink checkout (empty files). */
  readonly copyInstead: Set<Checksum>
  /** Hardlink checkouts: objects verified earlier and unchanged since. */
  readonly cache: VerifiedCache | undefined
  readonly split?: SplitHooks
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

/** Makes (or, for --union and below the top, reuses) one directory; true if its mode is already final. */
export const makeDir = (ctx: WriteCtx, meta: Dirmeta, dest: string, top: boolean, parentSetgid: boolean): boolean => {
  const direct = top ? undefined : directMode(meta, parentSetgid)
  try {
    mkdirSync(dest, { mode: direct ?? 0o700 })
    return direct !== undefined
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
    return false
  }
}

export const checkoutDir = (ctx: WriteCtx, plan: PlannedDir, dest: string, top: boolean, parentSetgid = true): void => {
  const premade = ctx.split?.premade.get(dest)
  const modeSet = premade ?? makeDir(ctx, plan.meta, dest, top, parentSetgid)
  for (const f of plan.tree.files) checkoutFile(ctx, f.checksum, `${dest}/${f.name}`)
  const setgid = (plan.meta.mode & 0o2000) !== 0
  for (const [name, sub] of plan.dirs) {
    const path = `${dest}/${name}`
    if (ctx.split?.elsewhere.has(path)) continue
    checkoutDir(ctx, sub, path, false, setgid)
  }
  // A directory above the other thread's subtrees may be read-only: its metadata waits for them.
  if (premade !== undefined) ctx.split!.deferred.push(() => applyDirmeta(ctx, dest, plan.meta, premade))
  else applyDirmeta(ctx, dest, plan.meta, modeSet)
}

const applyDirmeta = (ctx: WriteCtx, dest: string, meta: Dirmeta, modeSet: boolean): void => {
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
const clearForUnion = (ctx: WriteCtx, dest: string): void => {
  if (ctx.opts.union) rmSync(dest, { force: true, recursive: true })
}

export const checkoutFile = (ctx: WriteCtx, csum: Checksum, dest: string): void => {
  try {
    if (ctx.hardlink && !ctx.copyInstead.has(csum)) {
      // Verify once per object (the read also proves it is present), then link. Empty files are
      // created fresh, as ostree does, so thousands of them never share one inode's link count.
      if (!ctx.allVerified && !ctx.verified.has(csum)) {
        const obj = readContentObjectSync(ctx.repo, csum, true)
        ctx.verified.add(csum)
        ctx.cache?.add(csum)
        const fmt = obj.meta.mode & S_IFMT
        // bare-user stores a symlink as a regular file: it is created as a symlink, not linked.
        if ((fmt === S_IFREG && obj.data.length === 0) || (fmt === S_IFLNK && ctx.repo.mode === "bare-user")) ctx.copyInstead.add(csum)
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

const writeCopy = (ctx: WriteCtx, meta: FileMeta, data: Buffer, dest: string): void => {
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
