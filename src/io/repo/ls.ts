/**
 * `ls`: the entries of paths inside a commit with their stored metadata (ot-builtin-ls.c). A
 * directory argument lists itself, then its children — files first, then subdirectories, each
 * in dirtree order; recursively with `recursive`, not at all with `dirOnly`.
 */
import { S_IFMT, type Checksum, type Dirmeta, type Xattrs } from "../../formats/ostree/index.js"
import { readContentInfo } from "./content-meta.js"
import { loadCommit, loadDirmeta, loadDirtree } from "./object-read.js"
import type { Repo } from "./repo.js"
import { revParse } from "./rev.js"
import { childPath, lookupPath, rootNode, type TreeNode } from "./tree-path.js"

export interface LsEntry {
  readonly path: string
  readonly type: "dir" | "file" | "symlink"
  /** Permission bits (mode without the file type). */
  readonly mode: number
  readonly uid: number
  readonly gid: number
  /** Payload size; 0 for directories and symlinks. */
  readonly size: number
  /** Content checksum for files, dirmeta checksum for directories. */
  readonly checksum: Checksum
  /** Directories only: the dirtree checksum. */
  readonly tree?: Checksum
  readonly xattrs: Xattrs
  /** Symlinks only. */
  readonly target?: string
}

export interface LsOptions {
  readonly rev: string
  /** Default: the root. */
  readonly paths?: ReadonlyArray<string>
  readonly recursive?: boolean
  readonly dirOnly?: boolean
}

interface Ctx {
  readonly repo: Repo
  readonly dirmetas: Map<Checksum, Promise<Dirmeta>>
  readonly out: LsEntry[]
}

const dirEntry = async (ctx: Ctx, path: string, tree: Checksum, meta: Checksum): Promise<LsEntry> => {
  let p = ctx.dirmetas.get(meta)
  if (!p) ctx.dirmetas.set(meta, (p = loadDirmeta(ctx.repo, meta)))
  const m = await p
  return { path, type: "dir", mode: m.mode & ~S_IFMT, uid: m.uid, gid: m.gid, size: 0, checksum: meta, tree, xattrs: m.xattrs }
}

const fileEntry = (ctx: Ctx, path: string, csum: Checksum): LsEntry => {
  const { meta, size } = readContentInfo(ctx.repo, csum)
  const link = meta.symlinkTarget !== ""
  return {
    path, type: link ? "symlink" : "file", mode: meta.mode & ~S_IFMT, uid: meta.uid, gid: meta.gid, size,
    checksum: csum, xattrs: meta.xattrs, ...(link ? { target: meta.symlinkTarget } : {}),
  }
}

/** Lists a directory's children; `depth` -1 recurses fully, 1 lists one level. */
const listDir = async (ctx: Ctx, node: Extract<TreeNode, { kind: "dir" }>, depth: number): Promise<void> => {
  if (depth === 0) return
  const dt = await loadDirtree(ctx.repo, node.tree)
  for (const f of dt.files) ctx.out.push(fileEntry(ctx, childPath(node.path, f.name), f.checksum))
  for (const d of dt.dirs) {
    const path = childPath(node.path, d.name)
    ctx.out.push(await dirEntry(ctx, path, d.tree, d.meta))
    await listDir(ctx, { kind: "dir", path, tree: d.tree, meta: d.meta }, depth === -1 ? -1 : depth - 1)
  }
}

export const listTree = async (repo: Repo, opts: LsOptions): Promise<LsEntry[]> => {
  const commit = await loadCommit(repo, await revParse(repo, opts.rev))
  const ctx: Ctx = { repo, dirmetas: new Map(), out: [] }
  for (const p of opts.paths?.length ? opts.paths : ["/"]) {
    const node = await lookupPath(repo, rootNode(commit), p, "ls")
    if (node.kind === "file") {
      ctx.out.push(fileEntry(ctx, node.path, node.csum))
      continue
    }
    ctx.out.push(await dirEntry(ctx, node.path, node.tree, node.meta))
    if (opts.recursive) await listDir(ctx, node, -1)
    else if (!opts.dirOnly) await listDir(ctx, node, 1)
  }
  return ctx.out
}
