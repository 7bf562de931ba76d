/**
 * Reachability (ostree-repo-traverse.c): every object a commit needs — the commit, its root
 * dirmeta, each dirtree and dirmeta below, each content object — and, up to `depth`, the same
 * for its parents. Used by prune (what to keep), pull-local (what to copy) and diff --stats.
 *
 * As in ostree: a missing parent ends the history quietly (shallow repos are normal); a
 * missing dirtree is an error unless the commit is marked partial. Content objects are
 * recorded, not opened. Each dirtree is read (and hash-verified) once per traversal.
 */
import type { Checksum, Dirtree } from "../../formats/ostree/index.js"
import { commitState } from "./commit-state.js"
import { RepoError } from "./error.js"
import { loadCommit, loadDirtreeSync } from "./object-read.js"
import { objectKey } from "./object-list.js"
import type { Repo } from "./repo.js"

export interface Reachable {
  /** `csum.type` keys (see objectKey). */
  readonly objects: Set<string>
  /** Commits traversed, with how many more parents were still to be followed from each. */
  readonly commitDepth: Map<Checksum, number>
  /** Dirtrees already read in this traversal. */
  readonly dirtrees: Set<Checksum>
}

export const emptyReachable = (): Reachable => ({ objects: new Set(), commitDepth: new Map(), dirtrees: new Set() })

/**
 * The dirtrees the last checkout in this process read and hash-verified, by repository path. A
 * deploy checks a tree out and then prunes (its cleanup), whose traversal needs every one of the
 * same dirtrees again: reading, hashing and parsing ~2400 of them was ~10 % of a deploy's main
 * thread. A dirtree is named by its hash, so within one process the parsed copy is as good as a
 * fresh read; a dirtree not in here is read as before. Only the last checkout's are kept, so a
 * long-lived process holds at most one tree's worth.
 */
let recent: { readonly repo: string; readonly trees: ReadonlyMap<Checksum, Dirtree> } | undefined
export const rememberDirtrees = (repoPath: string, trees: ReadonlyMap<Checksum, Dirtree>): void => {
  recent = { repo: repoPath, trees }
}
/** Drops what rememberDirtrees kept (tests). */
export const forgetDirtrees = (): void => {
  recent = undefined
}

const isMissing = (e: unknown): boolean => e instanceof RepoError && e.reason === "NotFound"

/**
 * Synchronous, like ostree's traversal: measured on the 17k-entry bench tree (prune at the end
 * of every deploy walks it), 64 concurrent promise reads cost ~3× the CPU of reading each
 * dirtree into a reused buffer, and the dirtrees are in the page cache right after a checkout.
 */
const walkDirtree = (repo: Repo, tree: Checksum, into: Reachable, ignoreMissing: boolean): void => {
  if (into.dirtrees.has(tree)) return
  into.dirtrees.add(tree)
  let dt = recent?.repo === repo.path ? recent.trees.get(tree) : undefined
  try {
    dt ??= loadDirtreeSync(repo, tree)
  } catch (e) {
    if (ignoreMissing && isMissing(e)) return
    throw e
  }
  into.objects.add(objectKey(tree, "dirtree"))
  for (const f of dt.files) into.objects.add(objectKey(f.checksum, "file"))
  for (const d of dt.dirs) into.objects.add(objectKey(d.meta, "dirmeta"))
  for (const d of dt.dirs) walkDirtree(repo, d.tree, into, ignoreMissing)
}

/**
 * Adds to `into` everything reachable from `commit`, following at most `depth` parents
 * (-1: all). A commit already traversed at least as deep is not walked again.
 */
export const traverseCommit = async (repo: Repo, commit: Checksum, depth: number, into: Reachable): Promise<void> => {
  let csum: Checksum | null = commit
  let remaining = depth
  while (csum) {
    const seen = into.commitDepth.get(csum)
    if (seen !== undefined && (seen === -1 || (remaining !== -1 && seen >= remaining))) return
    let c
    try {
      c = await loadCommit(repo, csum)
    } catch (e) {
      if (isMissing(e) && csum !== commit) return // history beyond here was never fetched
      throw e
    }
    into.commitDepth.set(csum, remaining)
    into.objects.add(objectKey(csum, "commit"))
    into.objects.add(objectKey(c.rootMeta, "dirmeta"))
    const partial = (await commitState(repo, csum)) !== "complete"
    walkDirtree(repo, c.rootTree, into, partial)
    if (remaining === 0) return
    if (remaining > 0) remaining--
    csum = c.parent
  }
}
