/**
 * Paths inside a commit (ostree's OstreeRepoFile): resolving "/usr/bin/sh" to the dirtree entry
 * that holds it, and following symlinks the way `ostree cat` does — relative to the link's
 * directory, absolute ones from the commit root.
 */
import type { Checksum, Commit } from "../../formats/ostree/index.js"
import { RepoError } from "./error.js"
import { readContentInfo } from "./content-meta.js"
import { loadDirtree } from "./object-read.js"
import type { Repo } from "./repo.js"

export type TreeNode =
  | { readonly kind: "dir"; readonly path: string; readonly tree: Checksum; readonly meta: Checksum }
  | { readonly kind: "file"; readonly path: string; readonly csum: Checksum }

export const rootNode = (c: Pick<Commit, "rootTree" | "rootMeta">): TreeNode => ({ kind: "dir", path: "/", tree: c.rootTree, meta: c.rootMeta })

export const childPath = (dir: string, name: string): string => (dir === "/" ? `/${name}` : `${dir}/${name}`)

const parentPath = (p: string): string => (p.lastIndexOf("/") <= 0 ? "/" : p.slice(0, p.lastIndexOf("/")))

const notFound = (op: string, path: string, why: string): RepoError =>
  new RepoError({ op, reason: "NotFound", detail: `${path}: ${why}` })

/**
 * Looks up `path` (absolute, or relative to `root`) without following symlinks. Each component
 * is looked up literally except "." and "..", so "/sub/" (an empty last name) is not found,
 * as in ostree.
 */
export const lookupPath = async (repo: Repo, root: TreeNode, path: string, op = "lookup"): Promise<TreeNode> => {
  if (path === "/" || path === "") return root
  const parts = (path.startsWith("/") ? path.slice(1) : path).split("/")
  const stack: TreeNode[] = [root]
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!
    const cur = stack[stack.length - 1]!
    if (name === ".") continue
    if (name === "..") {
      if (stack.length > 1) stack.pop()
      continue
    }
    const shown = childPath(cur.path, name)
    if (cur.kind !== "dir") throw notFound(op, shown, "Not a directory")
    const dt = await loadDirtree(repo, cur.tree)
    const d = dt.dirs.find((x) => x.name === name)
    if (d) {
      stack.push({ kind: "dir", path: shown, tree: d.tree, meta: d.meta })
      continue
    }
    const f = dt.files.find((x) => x.name === name)
    if (!f) throw notFound(op, shown, "No such file or directory")
    stack.push({ kind: "file", path: shown, csum: f.checksum })
  }
  return stack[stack.length - 1]!
}

/** Like lookupPath, then follows a final symlink (chains too, up to 40 like the kernel). */
export const lookupFollow = async (repo: Repo, root: TreeNode, path: string, op = "lookup"): Promise<TreeNode> => {
  let node = await lookupPath(repo, root, path, op)
  for (let hops = 0; node.kind === "file"; hops++) {
    const info = readContentInfo(repo, node.csum)
    const target = info.meta.symlinkTarget
    if (!target) return node
    if (hops >= 40) throw new RepoError({ op, reason: "Invalid", detail: `${path}: too many levels of symbolic links` })
    node = target.startsWith("/")
      ? await lookupPath(repo, root, target, op)
      : await lookupPath(repo, root, childPath(parentPath(node.path), target), op)
  }
  return node
}
