/**
 * `checkout`: materialise a commit (or a subpath of it) as a directory. Hardlinks into the
 * store where the mode allows (`-H`: bare repos, and bare-user with `-U`), else copies. Every
 * object read is verified first, so a corrupted object is refused rather than checked out.
 */
import { chmod, chown, lchown, link, lstat, mkdir, rm, symlink, unlink, utimes, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { setAttribute } from "@napi-rs/xattr"
import { S_IFMT, S_IFREG, xattrName, type Checksum, type Dirmeta, type FileMeta } from "../../formats/ostree/index.js"
import { RepoError, fsError } from "./error.js"
import { budget, type Budget } from "./limit.js"
import { loadCommit, loadDirmeta, loadDirtree, objectPath, readContentObject } from "./object-read.js"
import { resolveRev } from "./refs.js"
import type { Repo } from "./repo.js"

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
  readonly budget: Budget
  readonly hardlink: boolean
  /** Content objects already verified in this checkout. */
  readonly verified: Map<Checksum, Promise<void>>
}

const canHardlink = (repo: Repo, opts: CheckoutOptions): boolean => {
  if (opts.forceCopy) return false
  if (repo.mode === "archive") return false
  if (repo.mode === "bare") return !opts.userMode ? true : false
  return !!opts.userMode // bare-user, bare-user-only: their objects are user-mode files
}

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
  const ctx: Ctx = { repo, opts, budget: budget(64 << 20), hardlink, verified: new Map() }
  // Resolve the subpath inside the commit.
  let tree = commit.rootTree
  let meta = commit.rootMeta
  const parts = (opts.subpath ?? "/").split("/").filter(Boolean)
  for (let i = 0; i < parts.length; i++) {
    const dt = await loadDirtree(repo, tree)
    const d = dt.dirs.find((x) => x.name === parts[i])
    if (d) {
      tree = d.tree
      meta = d.meta
      continue
    }
    const f = dt.files.find((x) => x.name === parts[i])
    if (f && i === parts.length - 1) {
      await checkoutFile(ctx, f.checksum, opts.destination)
      return { commit: commitCsum }
    }
    throw new RepoError({ op: "checkout", reason: "NotFound", detail: `no such path "${opts.subpath}" in ${commitCsum}` })
  }
  await checkoutDir(ctx, tree, meta, opts.destination, true)
  return { commit: commitCsum }
}

const checkoutDir = async (ctx: Ctx, tree: Checksum, metaCsum: Checksum, dest: string, top: boolean): Promise<void> => {
  const [dt, meta] = await Promise.all([loadDirtree(ctx.repo, tree), loadDirmeta(ctx.repo, metaCsum)])
  try {
    await mkdir(dest, { mode: 0o700 })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code !== "EEXIST") throw fsError("checkout: mkdir", dest, e)
    const st = await lstat(dest)
    if (!st.isDirectory()) {
      if (!ctx.opts.union) throw new RepoError({ op: "checkout", reason: "AlreadyExists", path: dest, detail: "exists and is not a directory" })
      await unlink(dest)
      await mkdir(dest, { mode: 0o700 })
    } else if (!ctx.opts.union && top) {
      throw new RepoError({ op: "checkout", reason: "AlreadyExists", path: dest, detail: "destination exists (use --union to merge)" })
    }
  }
  await Promise.all([
    ...dt.files.map((f) => checkoutFile(ctx, f.checksum, join(dest, f.name))),
    ...dt.dirs.map((d) => checkoutDir(ctx, d.tree, d.meta, join(dest, d.name), false)),
  ])
  await applyDirmeta(ctx, dest, meta)
}

const applyDirmeta = async (ctx: Ctx, dest: string, meta: Dirmeta): Promise<void> => {
  try {
    if (!ctx.opts.userMode) {
      await chown(dest, meta.uid, meta.gid)
      for (const x of meta.xattrs) await setAttribute(dest, xattrName(x), Buffer.from(x[1]))
    }
    await chmod(dest, meta.mode & 0o7777)
  } catch (e) {
    throw fsError("checkout: set directory metadata", dest, e)
  }
}

/** Replaces whatever is at `dest` when --union, else lets EEXIST surface. */
const clearForUnion = async (ctx: Ctx, dest: string): Promise<void> => {
  if (ctx.opts.union) await rm(dest, { force: true, recursive: true })
}

const checkoutFile = (ctx: Ctx, csum: Checksum, dest: string): Promise<void> =>
  ctx.budget.run(1 << 16, async () => {
    try {
      if (ctx.hardlink) {
        // Verify once per object (the read also proves it is present), then link.
        let v = ctx.verified.get(csum)
        if (!v) ctx.verified.set(csum, (v = readContentObject(ctx.repo, csum, true).then(() => undefined)))
        await v
        await clearForUnion(ctx, dest)
        await link(objectPath(ctx.repo, csum, "file"), dest)
        return
      }
      const obj = await readContentObject(ctx.repo, csum, true)
      await clearForUnion(ctx, dest)
      await writeCopy(ctx, obj.meta, obj.data, dest)
    } catch (e) {
      if (e instanceof RepoError) throw e
      throw fsError("checkout: write file", dest, e)
    }
  })

const writeCopy = async (ctx: Ctx, meta: FileMeta, data: Buffer, dest: string): Promise<void> => {
  const user = !!ctx.opts.userMode
  if ((meta.mode & S_IFMT) !== S_IFREG) {
    await symlink(meta.symlinkTarget, dest)
    if (!user) await lchown(dest, meta.uid, meta.gid)
    return
  }
  await writeFile(dest, data, { mode: 0o600, flag: "wx" })
  if (!user) {
    await chown(dest, meta.uid, meta.gid)
    for (const x of meta.xattrs) await setAttribute(dest, xattrName(x), Buffer.from(x[1]))
  }
  // User mode never creates setuid/setgid files (ostree -U does the same).
  await chmod(dest, user ? meta.mode & 0o777 : meta.mode & 0o7777)
  await utimes(dest, 0, 0)
}

