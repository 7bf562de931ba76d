/**
 * Prepared trees: a directory under the repository's tmp that is already exactly a hardlink
 * checkout of a commit (the layered build's work tree after src/io/repo/adopt-tree.ts), left for
 * the deploy step of the same transaction. prepareDeployment renames it into place instead of
 * checking the commit out again; without one it checks out as usual. Same filesystem as the
 * deployments (both under the sysroot), so the rename is atomic.
 */
import { readdirSync, renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { repoPath } from "./layout.js"

const PREFIX = "strata-prepared-"

export const preparedTreePath = (sysroot: string, commit: string): string => join(repoPath(sysroot), "tmp", `${PREFIX}${commit}`)

/** Renames the prepared tree of `commit` to `dest` (which must not exist); false when there is none. */
export const takePreparedTree = (sysroot: string, commit: string, dest: string): boolean => {
  try {
    renameSync(preparedTreePath(sysroot, commit), dest)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false
    throw e
  }
}

/** Removes every prepared tree (undo of a build whose deployment was not made). */
export const dropPreparedTrees = (sysroot: string): string[] => {
  const tmp = join(repoPath(sysroot), "tmp")
  let names: string[]
  try {
    names = readdirSync(tmp).filter((n) => n.startsWith(PREFIX))
  } catch {
    return []
  }
  for (const n of names) rmSync(join(tmp, n), { recursive: true, force: true })
  return names.map((n) => join(tmp, n))
}
