/**
 * `cat`: the bytes of files inside a commit, concatenated, verified against their checksums.
 * Symlinks are followed inside the commit, as `ostree cat` does.
 */
import { RepoError } from "./error.js"
import { loadCommit, readContentObject } from "./object-read.js"
import type { Repo } from "./repo.js"
import { revParse } from "./rev.js"
import { lookupFollow, rootNode } from "./tree-path.js"

export const catFiles = async (repo: Repo, rev: string, paths: ReadonlyArray<string>): Promise<Buffer> => {
  if (paths.length === 0) throw new RepoError({ op: "cat", reason: "Invalid", detail: "give at least one PATH" })
  const commit = await loadCommit(repo, await revParse(repo, rev))
  const parts: Buffer[] = []
  for (const p of paths) {
    const node = await lookupFollow(repo, rootNode(commit), p, "cat")
    if (node.kind === "dir") throw new RepoError({ op: "cat", reason: "Invalid", detail: `${node.path}: is a directory` })
    parts.push((await readContentObject(repo, node.csum, true)).data)
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}
