/**
 * rm -rf on node:fs alone, so the removal worker (rm-worker.ts) loads nothing else: the
 * sequential removal fs-ops.ts's rmrf uses, and the two halves of rmrf-split.ts's removal (a tree
 * listed first, then its directories emptied and removed from the list).
 */
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from "node:fs"

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code

/** Removes what is at `path` unless already gone; EISDIR says it was a directory after all. */
const unlinkOrDir = (path: string): void => {
  try {
    unlinkSync(path)
  } catch (e) {
    if (code(e) === "ENOENT") return
    if (code(e) === "EISDIR") return removeDirSync(path)
    throw e
  }
}

/**
 * A directory tree, depth first, as ostree's glnx_shutil_rm_rf_at does it: the entry types come
 * from readdir (no lstat per entry; an unknown type is unlinked, and EISDIR sends it here) and
 * each directory is removed once it is empty. Node's `rm -r` lstat'ed every entry and tried
 * rmdir on every directory before emptying it, each through the thread pool: ~36k round trips
 * and 3k failing rmdirs to remove one deployment, several times the syscalls ostree makes.
 */
const removeDirSync = (path: string): void => {
  let entries: import("node:fs").Dirent[]
  try {
    entries = readdirSync(path, { withFileTypes: true })
  } catch (e) {
    if (code(e) === "ENOENT") return
    throw e
  }
  for (const d of entries) {
    const p = `${path}/${d.name}`
    if (d.isDirectory()) removeDirSync(p)
    else unlinkOrDir(p)
  }
  try {
    rmdirSync(path)
  } catch (e) {
    if (code(e) !== "ENOENT") throw e
  }
}

/** rm -rf of one path (a symlink itself, never its target); gone already is success. */
export const removeSync = (path: string): void => {
  let st: import("node:fs").Stats
  try {
    st = lstatSync(path)
  } catch (e) {
    if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return
    throw e
  }
  if (st.isDirectory()) removeDirSync(path)
  else unlinkOrDir(path)
}

/** One directory of a listed tree: the names of its non-directory entries. */
export interface ListedDir {
  readonly path: string
  readonly files: ReadonlyArray<string>
  /** Index in the list of its first descendant (its own index when it has no subdirectories). */
  readonly first: number
  /** Leave the directory itself (only its files go): the caller removes it later. */
  readonly keep?: boolean
}

/**
 * Every directory below `root` (not `root` itself), children before parents, each with its
 * files. In that order a directory's descendants are exactly the entries from its `first` to just
 * before it, so any prefix of the list is a set of whole subtrees.
 */
export const listTree = (root: string): ListedDir[] => {
  const out: ListedDir[] = []
  const walk = (path: string, keep: boolean): void => {
    const first = out.length
    const files: string[] = []
    for (const d of readdirSync(path, { withFileTypes: true })) {
      if (d.isDirectory()) walk(`${path}/${d.name}`, false)
      else files.push(d.name)
    }
    out.push({ path, files, first, ...(keep ? { keep } : {}) })
  }
  // the root's own entries stay for the caller's final rm -rf (a deployment root is immutable)
  for (const d of readdirSync(root, { withFileTypes: true })) if (d.isDirectory()) walk(`${root}/${d.name}`, true)
  return out
}

/** Empties and removes listed directories in order; already gone is fine. */
export const removeListed = (dirs: ReadonlyArray<ListedDir>): void => {
  for (const d of dirs) {
    for (const f of d.files) unlinkOrDir(`${d.path}/${f}`)
    if (d.keep) continue
    try {
      rmdirSync(d.path)
    } catch (e) {
      if (code(e) !== "ENOENT") throw e
    }
  }
}
