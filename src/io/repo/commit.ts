/**
 * `commit`: import directories (and existing commits) into a MutableTree, write the dirtrees,
 * then the commit object, then buffer the branch ref — all in one transaction.
 *
 * Performance (pnpm's lesson): files are processed concurrently under a count+bytes budget so
 * the threadpool stays busy while memory stays bounded; hardlinked inputs are read once (by
 * dev:ino); identical dirmetas are hashed once; an object already present is never rewritten.
 */
import { lstat } from "node:fs/promises"
import { lstatSync, readdirSync, readlinkSync } from "node:fs"
import type { Stats } from "node:fs"
import { createReadStream } from "node:fs"
import { createHash } from "node:crypto"
import { join } from "node:path"
import {
  serializeCommit, serializeDirmeta, fileHeaderBytes, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, validateFilename,
  type Checksum, type FileMeta, type Xattrs,
} from "../../formats/ostree/index.js"
import { variant, type Variant } from "../../formats/gvariant/index.js"
import { RepoError, fsError } from "./error.js"
import { makeImporter } from "./import-file.js"
import { poolMinFiles, runImportPool, workerCount } from "./import-pool.js"
import type { ImportJob, ImportResult } from "./import-types.js"
import { emptyTree, expand, treeFromDirtree, writeMutableTree, type MutableTree } from "./mutable-tree.js"
import { devinoKey, type DevinoCache } from "./devino.js"
import { loadCommit, readXattrs } from "./object-read.js"
import { readRef, resolveRev } from "./refs.js"
import type { Repo } from "./repo.js"
import { recordStaged, setRef, withTransaction, writeContentFrom, writeMetadata, type Transaction, type TransactionStats } from "./transaction.js"

export type TreeSource = { readonly dir: string } | { readonly ref: string }

export interface CommitOptions {
  readonly branch?: string
  readonly orphan?: boolean
  readonly subject?: string
  readonly body?: string
  readonly trees: ReadonlyArray<TreeSource>
  readonly metadata?: ReadonlyArray<readonly [string, Variant]>
  /** Seconds since the epoch; default SOURCE_DATE_EPOCH or now. */
  readonly timestamp?: bigint
  /** A checksum, null for none; default: the branch's current commit. */
  readonly parent?: Checksum | null
  readonly ownerUid?: number
  readonly ownerGid?: number
  readonly noXattrs?: boolean
  readonly canonicalPermissions?: boolean
  /** Adds `ostree.ref-binding` = [branch] (ostree commit -b does by default). */
  readonly bindRef?: boolean
  /**
   * --link-checkout-speedup (devino.ts): files that are hardlinks to this repository's objects
   * take the object's checksum without being read. Used only where the commit would store the
   * object's own metadata (bare repo; no owner, permission or xattr rewriting).
   */
  readonly devino?: DevinoCache
  /**
   * Report every file of a `dir` tree that was imported (not taken from the devino cache) with
   * its object's checksum (CommitResult.imported): a caller can then turn the tree into a
   * hardlink checkout of the commit by linking just those (src/io/repo/adopt-tree.ts).
   */
  readonly reportImported?: boolean
}

export interface ImportedFile {
  readonly path: string
  readonly checksum: Checksum
  readonly symlink: boolean
  readonly size: number
}

export interface CommitResult {
  readonly commit: Checksum
  readonly stats: TransactionStats
  /** Files taken from the devino cache (neither read nor hashed). */
  readonly linked: number
  /** With reportImported: the files that were not (see CommitOptions.reportImported). */
  readonly imported?: ReadonlyArray<ImportedFile>
}

/** Files at or below this size are read whole; larger ones stream (bounded memory). */
const WHOLE_FILE_MAX = 16 << 20


interface ImportCtx {
  readonly repo: Repo
  readonly txn: Transaction
  readonly opts: CommitOptions
  readonly dirmetas: Map<string, Promise<Checksum>>
  /** Files to import, with where their checksum goes; hardlinked inputs share one job. */
  readonly jobs: ImportJob[]
  readonly sizes: number[]
  readonly targets: Array<Array<readonly [MutableTree, string]>>
  readonly byInode: Map<string, number>
  readonly devino: DevinoCache | undefined
  /** Files taken from the devino cache. */
  linked: number
  /** reportImported: each imported file's path and where its checksum lands. */
  readonly imported?: Array<{ path: string; node: MutableTree; name: string; symlink: boolean; size: number }>
}

const fileMeta = (ctx: ImportCtx, st: Stats, target: string, xattrs: Xattrs): FileMeta => {
  const { opts, repo } = ctx
  let mode = st.mode
  // bare-user-only (and --canonical-permissions) drop setuid/setgid/sticky and o+w from files
  // and directories; a symlink's mode is always 0777.
  if ((repo.mode === "bare-user-only" || opts.canonicalPermissions) && (mode & S_IFMT) !== S_IFLNK) mode = (mode & S_IFMT) | (mode & 0o775)
  const rootOwned = repo.mode === "bare-user-only" || opts.canonicalPermissions
  return {
    uid: rootOwned ? 0 : (opts.ownerUid ?? st.uid),
    gid: rootOwned ? 0 : (opts.ownerGid ?? st.gid),
    mode,
    symlinkTarget: target,
    xattrs,
  }
}

const xattrsOf = (ctx: ImportCtx, path: string): Xattrs =>
  ctx.opts.noXattrs || ctx.repo.mode === "bare-user-only" ? [] : readXattrs(path)

const dirmetaFor = (ctx: ImportCtx, path: string, st: Stats): Promise<Checksum> => {
  const meta = fileMeta(ctx, st, "", xattrsOf(ctx, path))
  const bytes = serializeDirmeta({ uid: meta.uid, gid: meta.gid, mode: S_IFDIR | (meta.mode & 0o7777), xattrs: meta.xattrs })
  const key = Buffer.from(bytes).toString("base64")
  let p = ctx.dirmetas.get(key)
  if (!p) ctx.dirmetas.set(key, (p = writeMetadata(ctx.txn, "dirmeta", bytes)))
  return p
}

/** The devino cache, where the commit would store exactly the objects' own metadata. */
const usableDevino = (repo: Repo, o: CommitOptions): DevinoCache | undefined =>
  o.devino && repo.mode === "bare" && o.ownerUid === undefined && o.ownerGid === undefined && !o.canonicalPermissions && !o.noXattrs ? o.devino : undefined

/** Queues a file: its checksum is filled into `node` under `name` once imported. */
const queueFile = (ctx: ImportCtx, node: MutableTree, name: string, path: string, st: Stats): void => {
  const key = st.nlink > 1 ? devinoKey(st.dev, st.ino) : undefined
  const object = key && ctx.devino ? ctx.devino.get(key) : undefined
  if (object !== undefined) {
    node.files.set(name, object)
    ctx.linked++
    return
  }
  ctx.imported?.push({ path, node, name, symlink: st.isSymbolicLink(), size: st.size })
  const seen = key ? ctx.byInode.get(key) : undefined
  if (seen !== undefined) {
    ctx.targets[seen]!.push([node, name])
    return
  }
  let target = ""
  try {
    if (st.isSymbolicLink()) target = readlinkSync(path)
  } catch (e) {
    throw fsError("commit: readlink", path, e)
  }
  ctx.jobs.push({ path, meta: fileMeta(ctx, st, target, xattrsOf(ctx, path)) })
  ctx.sizes.push(st.isSymbolicLink() ? 0 : st.size)
  ctx.targets.push([[node, name]])
  if (key) ctx.byInode.set(key, ctx.jobs.length - 1)
}

/** Walks `path` (a directory) into `into`, overlaying what is there (later --tree args win). */
const walkDir = async (ctx: ImportCtx, path: string, into: MutableTree, st: Stats): Promise<void> => {
  await expand(ctx.repo, into)
  into.metaChecksum = await dirmetaFor(ctx, path, st)
  let names: string[]
  try {
    names = readdirSync(path)
  } catch (e) {
    throw fsError("commit: read directory", path, e)
  }
  for (const name of names) {
    validateFilename(name)
    const child = join(path, name)
    let cst: Stats
    try {
      cst = lstatSync(child)
    } catch (e) {
      throw fsError("commit: stat", child, e)
    }
    const fmt = cst.mode & S_IFMT
    if (fmt === S_IFDIR) {
      into.files.delete(name)
      let sub = into.dirs.get(name)
      if (!sub) into.dirs.set(name, (sub = emptyTree()))
      await walkDir(ctx, child, sub, cst)
    } else if (fmt === S_IFREG || fmt === S_IFLNK) {
      into.dirs.delete(name)
      queueFile(ctx, into, name, child, cst)
    } else {
      throw new RepoError({ op: "commit", reason: "Unsupported", path: child, detail: "device nodes, fifos and sockets cannot be committed" })
    }
  }
}

/**
 * Imports every queued file. Large files stream in-process; the rest go to worker threads when
 * there are enough of them to pay for the workers (both cores hash, compress and write), else
 * through the same synchronous importer in-process.
 */
const importQueued = async (ctx: ImportCtx): Promise<void> => {
  const { txn, repo } = ctx
  const small: number[] = []
  const large: number[] = []
  ctx.sizes.forEach((size, i) => (size > WHOLE_FILE_MAX ? large : small).push(i))
  const init = { mode: repo.mode, objectsDir: `${repo.path}/objects`, stagingDir: txn.staging }
  const workers = workerCount()
  const smallJobs = small.map((i) => ctx.jobs[i]!)
  let results: ImportResult[]
  if (workers > 1 && small.length >= poolMinFiles()) results = await runImportPool(init, smallJobs, workers)
  else {
    const importer = makeImporter(init)
    results = smallJobs.map((j) => {
      try {
        return importer.importFile(j)
      } catch (e) {
        throw fsError("commit: import file", j.path, e)
      }
    })
  }
  small.forEach((jobIndex, k) => {
    const r = results[k]!
    recordStaged(txn, r)
    for (const [node, name] of ctx.targets[jobIndex]!) node.files.set(name, r.csum)
  })
  for (const i of large) {
    const job = ctx.jobs[i]!
    const csum = await writeContentFrom(txn, job.meta, { path: job.path, size: ctx.sizes[i]! }, await hashLargeFile(job.meta, job.path))
    for (const [node, name] of ctx.targets[i]!) node.files.set(name, csum)
  }
}

const parentOf = (repo: Repo) => async (c: Checksum) => (await loadCommit(repo, c)).parent

/** ostree's rule: timestamp from the option, else SOURCE_DATE_EPOCH, else now. */
const commitTime = (opts: CommitOptions): bigint => {
  if (opts.timestamp !== undefined) return opts.timestamp
  const env = process.env.SOURCE_DATE_EPOCH
  if (env && /^\d+$/.test(env)) return BigInt(env)
  return BigInt(Math.floor(Date.now() / 1000))
}

export const commitTree = async (repo: Repo, opts: CommitOptions): Promise<CommitResult> => {
  if (!opts.branch && !opts.orphan) {
    throw new RepoError({ op: "commit", reason: "Invalid", detail: "a branch is required (-b BRANCH), or --orphan" })
  }
  if (opts.trees.length === 0) throw new RepoError({ op: "commit", reason: "Invalid", detail: "no tree given" })
  const parent = opts.parent !== undefined ? opts.parent : opts.branch ? ((await readRef(repo, "heads", opts.branch)) ?? null) : null
  let linked = 0
  let imported: ImportedFile[] | undefined
  const [commit, stats] = await withTransaction(repo, async (txn) => {
    const ctx: ImportCtx = {
      repo, txn, opts, dirmetas: new Map(), jobs: [], sizes: [], targets: [], byInode: new Map(), devino: usableDevino(repo, opts), linked: 0,
      ...(opts.reportImported ? { imported: [] } : {}),
    }
    const root = emptyTree()
    for (const src of opts.trees) {
      if ("dir" in src) {
        let st: Stats
        try {
          st = await lstat(src.dir)
        } catch (e) {
          throw fsError("commit", src.dir, e)
        }
        if (!st.isDirectory()) throw new RepoError({ op: "commit", reason: "Invalid", path: src.dir, detail: "not a directory" })
        await walkDir(ctx, src.dir, root, st)
        await importQueued(ctx)
        ctx.jobs.length = ctx.sizes.length = ctx.targets.length = 0
        ctx.byInode.clear()
      } else {
        const c = await loadCommit(repo, await resolveRev(repo, src.ref, parentOf(repo)))
        if (root.files.size === 0 && root.dirs.size === 0 && !root.contents) Object.assign(root, treeFromDirtree(c.rootTree, c.rootMeta))
        else await overlayTree(repo, root, treeFromDirtree(c.rootTree, c.rootMeta))
      }
    }
    linked = ctx.linked
    // (a later --tree may have replaced a name: report only what the final tree holds)
    imported = ctx.imported?.flatMap((f) => {
      const checksum = f.node.files.get(f.name)
      return checksum === undefined ? [] : [{ path: f.path, checksum, symlink: f.symlink, size: f.size }]
    })
    const rootTree = await writeMutableTree(txn, root)
    const metadata: Array<readonly [string, Variant]> = [...(opts.metadata ?? [])]
    if (opts.branch && opts.bindRef !== false && !metadata.some(([k]) => k === "ostree.ref-binding")) {
      metadata.push(["ostree.ref-binding", variant("as", [opts.branch])])
    }
    const commitBytes = serializeCommit({
      metadata,
      parent,
      subject: opts.subject ?? "",
      body: opts.body ?? "",
      timestamp: commitTime(opts),
      rootTree,
      rootMeta: root.metaChecksum!,
    })
    const csum = await writeMetadata(txn, "commit", commitBytes)
    if (opts.branch && !opts.orphan) setRef(txn, opts.branch, csum)
    return csum
  })
  return { commit, stats, linked, ...(imported ? { imported } : {}) }
}

/** Overlays `top` onto `base` (both may be unexpanded dirtrees from commits). */
const overlayTree = async (repo: Repo, base: MutableTree, top: MutableTree): Promise<void> => {
  await expand(repo, base)
  await expand(repo, top)
  base.metaChecksum = top.metaChecksum
  for (const [n, c] of top.files) {
    base.dirs.delete(n)
    base.files.set(n, c)
  }
  for (const [n, sub] of top.dirs) {
    base.files.delete(n)
    const existing = base.dirs.get(n)
    if (existing) await overlayTree(repo, existing, sub)
    else base.dirs.set(n, sub)
  }
}

/** Hashes a large file by streaming it (bounded memory). */
export const hashLargeFile = async (meta: FileMeta, path: string): Promise<Checksum> => {
  const h = createHash("sha256").update(fileHeaderBytes(meta))
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer)
  return h.digest("hex")
}
