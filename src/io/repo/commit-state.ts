/**
 * Commit completeness markers, `state/<commit>.commitpartial` (ostree-repo.c
 * ostree_repo_load_commit, ostree_repo_mark_commit_partial_reason). An empty marker means a pull
 * has not finished fetching the commit's tree; a marker holding "f" means fsck found objects
 * of it missing or corrupt. Either way, missing objects under a partial commit are expected.
 */
import { readFile, rm, writeFile, mkdir } from "node:fs/promises"
import { join } from "node:path"
import type { Checksum } from "../../formats/ostree/index.js"
import { fsError } from "./error.js"
import type { Repo } from "./repo.js"

export type CommitState = "complete" | "partial" | "fsck-partial"

const markerPath = (repo: Repo, csum: Checksum): string => join(repo.path, "state", `${csum}.commitpartial`)

export const commitState = async (repo: Repo, csum: Checksum): Promise<CommitState> => {
  try {
    const text = await readFile(markerPath(repo, csum), "utf8")
    return text.startsWith("f") ? "fsck-partial" : "partial"
  } catch {
    return "complete"
  }
}

/** Marks a commit partial; `reason` "fsck" records that corruption, not an interrupted pull, caused it. */
export const markCommitPartial = async (repo: Repo, csum: Checksum, reason: "pull" | "fsck"): Promise<void> => {
  const p = markerPath(repo, csum)
  try {
    await mkdir(join(repo.path, "state"), { recursive: true, mode: 0o775 })
    await writeFile(p, reason === "fsck" ? "f" : "", { mode: 0o644 })
  } catch (e) {
    throw fsError("mark commit partial", p, e)
  }
}

export const clearCommitPartial = async (repo: Repo, csum: Checksum): Promise<void> => {
  const p = markerPath(repo, csum)
  try {
    await rm(p, { force: true })
  } catch (e) {
    throw fsError("clear commit partial", p, e)
  }
}
