/**
 * rm -rf of a whole deployment on two threads: the main thread and one worker each remove about
 * half of its files and directories, as whole subtrees. Why it pays: like a checkout (see
 * src/io/repo/checkout-split.ts), removing a tree is mostly kernel time per inode — unlink and
 * rmdir free inodes and directory blocks — and two threads pay it in parallel. ostree admin
 * deploy removes the deployment the new one replaces in the same process, so this is on the
 * path measured against it.
 *
 * The tree is listed first (the readdirs a removal makes anyway), children before parents: a
 * prefix of that list is a set of whole subtrees, which goes to the worker; the main thread
 * removes the rest meanwhile, but leaves the directories above the worker's subtrees (and the
 * root's own entries: a deployment root is immutable) to the final sequential rmrf, which also
 * clears the immutable flag. Any failure on either side only means that final rmrf has more to do:
 * it removes what is left and reports an error as the sequential removal always did.
 */
import { makeWorkerPool } from "../../lib/worker-pool.js"
import { rmrf } from "./fs-ops.js"
import { listTree, removeListed, type ListedDir } from "./rm-tree.js"

/** An rmdir costs about as much as a few unlinks. */
const DIR_WEIGHT = 3
/** Below this many entries a worker's start-up costs more than it saves. */
const MIN_ENTRIES = 2000

/** Splits a listed tree: `worker` is a prefix (whole subtrees), `main` the rest. */
export const splitListed = (dirs: ReadonlyArray<ListedDir>): { worker: ListedDir[]; main: ListedDir[] } => {
  const total = dirs.reduce((n, d) => n + d.files.length + DIR_WEIGHT, 0)
  let k = 0
  for (let w = 0; k < dirs.length && w < total / 2; k++) w += dirs[k]!.files.length + DIR_WEIGHT
  // a directory after the cut whose subtree starts before it has descendants on the worker: its
  // files go now, the directory itself with the final rmrf
  const main = dirs.slice(k).map((d) => (d.first < k && !d.keep ? { ...d, keep: true } : d))
  return { worker: dirs.slice(0, k), main }
}

/** rm -rf of `path` (a large tree) on this thread and a worker; errors as `rmrf`'s. */
export const rmrfSplit = async (path: string, op = "remove"): Promise<void> => {
  let dirs: ListedDir[]
  try {
    dirs = listTree(path)
  } catch {
    return rmrf(path, op) // not a directory, gone, or unreadable: the sequential removal decides
  }
  if (dirs.reduce((n, d) => n + d.files.length + 1, 0) < MIN_ENTRIES) return rmrf(path, op)
  const { worker, main } = splitListed(dirs)
  const pool = makeWorkerPool<ReadonlyArray<ListedDir>, true>(new URL("./rm-worker.js", import.meta.url), 1)
  try {
    const theirs = pool.run(worker).catch(() => undefined)
    try {
      removeListed(main)
    } catch {
      // left for the final rmrf
    }
    await theirs
  } finally {
    await pool.close()
  }
  await rmrf(path, op)
}
