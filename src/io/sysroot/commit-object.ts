/**
 * A commit object read for display (status, versions): the file parsed as is, without the
 * checksum verification of the repo layer's loadCommit — like `ostree admin status`, which only
 * loads it — so readers of the sysroot do not load the object store's content machinery
 * (native xattr bindings, decompressors). Commit objects are stored alike in every repo mode.
 * Read synchronously (a few hundred bytes): status then needs no thread pool (read-state.ts).
 */
import { readFileSync } from "node:fs"
import { parseCommit, type Commit } from "../../formats/ostree/commit.js"

export const readCommitObject = async (repoPath: string, checksum: string): Promise<Commit | undefined> => {
  try {
    return parseCommit(readFileSync(`${repoPath}/objects/${checksum.slice(0, 2)}/${checksum.slice(2)}.commit`))
  } catch {
    return undefined // pruned, not pulled, or unreadable: the caller shows less
  }
}
