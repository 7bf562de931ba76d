/**
 * `diff` (ostree-diff.c ostree_diff_dirs): compare two trees — commits or local directories —
 * entry by entry. A file differs when its content checksum does; a directory "M" when its
 * dirmeta does, and it is then compared inside. Removed directories are listed once; added
 * directories with everything below them. Lists keep discovery order (a commit's directory
 * enumerates files, then subdirectories), which is the order ostree prints.
 */
import { lstat, readdir, readFile, readlink } from "node:fs/promises"
import type { Stats } from "node:fs"
import { join } from "node:path"
import {
  fileChecksum, serializeDirmeta, sha256, S_IFDIR, type Checksum, type FileMeta, type ObjectType,
} from "../../formats/ostree/index.js"
import { hashLargeFile } from "./commit.js"
import { RepoError, fsError } from "./error.js"
import { loadCommit, loadDirtree, objectPath, readXattrs } from "./object-read.js"
import type { Repo } from "./repo.js"
import { revParse } from "./rev.js"
import { emptyReachable, traverseCommit } from "./traverse.js"

export type DiffTarget = { readonly rev: string } | { readonly dir: string }

export interface DiffOptions {
  /** Local files: leave xattrs out of their checksums. */
  readonly noXattrs?: boolean
  /** Local files: checksum as if owned by this uid/gid. */
  readonly ownerUid?: number
  readonly ownerGid?: number
}

export interface DiffResult {
  /** Paths as ostree prints them: absolute inside a commit, relative to a local directory. */
  readonly modified: string[]
  readonly removed: string[]
  readonly added: string[]
}

type Node =
  | { readonly side: "repo"; readonly path: string; readonly isDir: boolean; readonly csum: Checksum; readonly tree?: Checksum }
  | { readonly side: "fs"; readonly path: string; readonly abs: string; readonly isDir: boolean; readonly st: Stats }

interface Ctx {
  readonly repo: Repo
  readonly opts: DiffOptions
  readonly out: DiffResult
}

const join2 = (base: string, name: string): string => (base === "/" ? `/${name}` : base === "" ? name : `${base}/${name}`)

const children = async (ctx: Ctx, n: Node): Promise<Node[]> => {
  if (n.side === "repo") {
    const dt = await loadDirtree(ctx.repo, n.tree!)
    return [
      ...dt.files.map((f): Node => ({ side: "repo", path: join2(n.path, f.name), isDir: false, csum: f.checksum })),
      ...dt.dirs.map((d): Node => ({ side: "repo", path: join2(n.path, d.name), isDir: true, csum: d.meta, tree: d.tree })),
    ]
  }
  let names: string[]
  try {
    names = (await readdir(n.abs)).sort()
  } catch (e) {
    throw fsError("diff: read directory", n.abs, e)
  }
  return Promise.all(names.map(async (name): Promise<Node> => {
    const abs = join(n.abs, name)
    const st = await lstat(abs).catch((e) => { throw fsError("diff: stat", abs, e) })
    return { side: "fs", path: join2(n.path, name), abs, isDir: st.isDirectory(), st }
  }))
}

/** A local entry's checksum exactly as a commit would record it. */
const localChecksum = async (ctx: Ctx, n: Extract<Node, { side: "fs" }>): Promise<Checksum> => {
  const { st, abs } = n
  const meta: FileMeta = {
    uid: ctx.opts.ownerUid ?? st.uid,
    gid: ctx.opts.ownerGid ?? st.gid,
    mode: st.mode,
    symlinkTarget: st.isSymbolicLink() ? await readlink(abs) : "",
    xattrs: ctx.opts.noXattrs ? [] : readXattrs(abs),
  }
  if (st.isDirectory()) return sha256(serializeDirmeta({ uid: meta.uid, gid: meta.gid, mode: S_IFDIR | (st.mode & 0o7777), xattrs: meta.xattrs }))
  if (st.isSymbolicLink()) return fileChecksum(meta)
  if (!st.isFile()) throw new RepoError({ op: "diff", reason: "Unsupported", path: abs, detail: "not a regular file, symlink or directory" })
  if (st.size > 16 << 20) return hashLargeFile(meta, abs)
  return fileChecksum(meta, await readFile(abs).catch((e) => { throw fsError("diff: read", abs, e) }))
}

const checksumOf = (ctx: Ctx, n: Node): Promise<Checksum> => (n.side === "repo" ? Promise.resolve(n.csum) : localChecksum(ctx, n))

const addRecurse = async (ctx: Ctx, dir: Node): Promise<void> => {
  for (const c of await children(ctx, dir)) {
    ctx.out.added.push(c.path)
    if (c.isDir) await addRecurse(ctx, c)
  }
}

const diffDirs = async (ctx: Ctx, a: Node, b: Node): Promise<void> => {
  if (a.side === "repo" && b.side === "repo" && a.tree === b.tree) return
  const [ac, bc] = await Promise.all([children(ctx, a), children(ctx, b)])
  const name = (n: Node): string => n.path.slice(n.path.lastIndexOf("/") + 1)
  const bByName = new Map(bc.map((n) => [name(n), n]))
  const aNames = new Set(ac.map(name))
  for (const ca of ac) {
    const cb = bByName.get(name(ca))
    if (!cb) ctx.out.removed.push(ca.path)
    else if (ca.isDir !== cb.isDir) ctx.out.modified.push(ca.path)
    else {
      if ((await checksumOf(ctx, ca)) !== (await checksumOf(ctx, cb))) ctx.out.modified.push(ca.path)
      if (ca.isDir) await diffDirs(ctx, ca, cb)
    }
  }
  for (const cb of bc) {
    if (aNames.has(name(cb))) continue
    ctx.out.added.push(cb.path)
    if (cb.isDir) await addRecurse(ctx, cb)
  }
}

const rootOf = async (repo: Repo, t: DiffTarget): Promise<Node> => {
  if ("rev" in t) {
    const c = await loadCommit(repo, await revParse(repo, t.rev))
    return { side: "repo", path: "/", isDir: true, csum: c.rootMeta, tree: c.rootTree }
  }
  const st = await lstat(t.dir).catch((e) => { throw fsError("diff", t.dir, e) })
  if (!st.isDirectory()) throw new RepoError({ op: "diff", reason: "Invalid", path: t.dir, detail: "not a directory" })
  return { side: "fs", path: "", abs: t.dir, isDir: true, st }
}

export const diffTrees = async (repo: Repo, a: DiffTarget, b: DiffTarget, opts: DiffOptions = {}): Promise<DiffResult> => {
  const ctx: Ctx = { repo, opts, out: { modified: [], removed: [], added: [] } }
  const [ra, rb] = await Promise.all([rootOf(repo, a), rootOf(repo, b)])
  await diffDirs(ctx, ra, rb)
  return ctx.out
}

export interface DiffStats {
  readonly objectsA: number
  readonly objectsB: number
  readonly common: number
  /** Bytes the shared objects occupy in the repo. */
  readonly commonSize: number
}

/** `diff --stats`: the objects each commit (alone, no parents) reaches, and what they share. */
export const diffStats = async (repo: Repo, revA: string, revB: string): Promise<DiffStats> => {
  const [a, b] = [emptyReachable(), emptyReachable()]
  await traverseCommit(repo, await revParse(repo, revA), 0, a)
  await traverseCommit(repo, await revParse(repo, revB), 0, b)
  const common = [...a.objects].filter((k) => b.objects.has(k))
  let commonSize = 0
  for (const k of common) {
    const [csum, type] = k.split(".") as [Checksum, ObjectType]
    commonSize += (await lstat(objectPath(repo, csum, type)).catch(() => undefined))?.size ?? 0
  }
  return { objectsA: a.objects.size, objectsB: b.objects.size, common: common.length, commonSize }
}
