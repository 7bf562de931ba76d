/**
 * `reset REF COMMIT` (ot-builtin-reset.c): move an existing ref back to an earlier commit of its
 * own history. ostree 2022.7 moves the ref to any commit; strata refuses one that is not the
 * ref's current commit or an ancestor of it unless `force`, since that is a rewrite of history
 * rather than a rollback.
 */
import { parseRefspec, type Checksum } from "../../formats/ostree/index.js"
import { RepoError } from "./error.js"
import { loadCommit } from "./object-read.js"
import { readRef, refKindFor } from "./refs.js"
import type { Repo } from "./repo.js"
import { revParse } from "./rev.js"
import { setRef, withTransaction } from "./transaction.js"

export interface ResetResult {
  readonly from: Checksum
  readonly to: Checksum
}

/** True when `ancestor` is `head` or reachable from it through parents present in the repo. */
export const isAncestor = async (repo: Repo, head: Checksum, ancestor: Checksum): Promise<boolean> => {
  let cur: Checksum | null = head
  const seen = new Set<Checksum>()
  while (cur && !seen.has(cur)) {
    if (cur === ancestor) return true
    seen.add(cur)
    try {
      cur = (await loadCommit(repo, cur)).parent
    } catch (e) {
      if (e instanceof RepoError && e.reason === "NotFound") return false
      throw e
    }
  }
  return false
}

export const resetRef = async (repo: Repo, refspec: string, rev: string, opts: { force?: boolean } = {}): Promise<ResetResult> => {
  let spec
  try {
    spec = parseRefspec(refspec)
  } catch {
    throw new RepoError({ op: "reset", reason: "Invalid", detail: `"${refspec}" is not a valid ref` })
  }
  const kind = refKindFor(spec.remote)
  const from = await readRef(repo, kind, spec.ref)
  if (!from) throw new RepoError({ op: "reset", reason: "NotFound", detail: `ref "${refspec}" not found` })
  const to = await revParse(repo, rev)
  await loadCommit(repo, to) // the target must be a commit this repo has
  if (!opts.force && !(await isAncestor(repo, from, to))) {
    throw new RepoError({
      op: "reset", reason: "Invalid",
      detail: `commit ${to} is not ${refspec} (${from}) or one of its ancestors (use --force to move the ref anyway)`,
    })
  }
  await withTransaction(repo, async (txn) => setRef(txn, spec.ref, to, kind))
  return { from, to }
}
