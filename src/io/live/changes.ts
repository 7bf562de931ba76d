/**
 * What an apply-live would change (rpm-ostree live.rs transaction_apply_live, reimplemented):
 * the file-level difference of /usr between the commit the running /usr shows and the target,
 * and the package-level difference of the two commits.
 *
 * Only additions are applied by default, as in rpm-ostree: a request that removes or changes
 * packages, or removes files from /usr, is refused unless replacement is allowed — with the
 * packages and paths named. Files that change while only packages are added (the rpmdb, a
 * passwd the new package's user is added to) are part of an addition and are applied.
 */
import { diffPkglists, type PkgDiff } from "../../formats/rpmostree/pkg-diff.js"
import { pkgNevra } from "../../formats/rpmostree/pkglist.js"
import { pkglistOfCommit } from "../repo/commit-pkglist.js"
import { diffTrees } from "../repo/diff.js"
import type { Repo } from "../repo/repo.js"
import type { TreeChanges } from "./apply.js"

export interface LiveChanges {
  readonly usr: TreeChanges
  /** Paths under /usr/etc the target adds (relative to /etc), parents first. */
  readonly etcAdded: ReadonlyArray<string>
  readonly packages?: PkgDiff
}

const underUsr = (p: string): boolean => p.startsWith("/usr/")

export const liveChanges = async (repo: Repo, source: string, target: string): Promise<LiveChanges> => {
  const d = await diffTrees(repo, { rev: source }, { rev: target })
  const usr = { added: d.added.filter(underUsr), changed: d.modified.filter(underUsr), removed: d.removed.filter(underUsr) }
  const etcAdded = usr.added.filter((p) => p.startsWith("/usr/etc/")).map((p) => p.slice("/usr/etc/".length))
  // A tree without a package list (no rpmdb) is judged on its files alone.
  const packages = await Promise.all([pkglistOfCommit(repo, source), pkglistOfCommit(repo, target)]).then(
    ([a, b]) => diffPkglists(a.packages, b.packages),
    () => undefined,
  )
  return { usr, etcAdded, ...(packages ? { packages } : {}) }
}

const list = (xs: ReadonlyArray<string>, max = 5): string => (xs.length <= max ? xs.join(", ") : `${xs.slice(0, max).join(", ")} and ${xs.length - max} more`)

/** Why the changes need replacement allowed (one line), or undefined when they are pure additions. */
export const replacementNeeded = (c: LiveChanges): string | undefined => {
  const removedPkgs = c.packages?.removed.map(pkgNevra) ?? []
  const changedPkgs = c.packages?.modified.map((m) => `${pkgNevra(m.from)} -> ${pkgNevra(m.to)}`) ?? []
  const pkgChange = removedPkgs.length > 0 || changedPkgs.length > 0
  const paths = [...c.usr.removed, ...(pkgChange || !c.packages ? c.usr.changed : [])]
  if (!pkgChange && paths.length === 0) return undefined
  const parts = [
    ...(removedPkgs.length ? [`packages would be removed: ${list(removedPkgs)}`] : []),
    ...(changedPkgs.length ? [`packages would be changed: ${list(changedPkgs)}`] : []),
    ...(paths.length ? [`files of the running /usr would be replaced or removed: ${list([...paths].sort())}`] : []),
  ]
  return `${parts.join("; ")}; use --allow-replacement to apply them live`
}
