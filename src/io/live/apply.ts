/**
 * Applying a commit-to-commit difference to a live tree (rpm-ostree live.rs apply_diff /
 * update_etc, reimplemented): each added or changed path of /usr is written from the target
 * commit into `$root/usr` (the overlay, so the writes land in its upper dir), each removed one is
 * deleted (a whiteout in the upper dir); new /etc files — those the target adds under /usr/etc
 * and that do not exist in `$root/etc` yet — are copied there. Existing /etc files are never
 * touched (local changes win; the real /etc merge happens at the next boot's finalization).
 *
 * Every write is "make a temporary beside it, rename over", and removal ignores a missing path,
 * so a re-run after an interruption finishes the job. Ownership and permission bits come from
 * the commit; xattrs (SELinux labels) are not written.
 */
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { S_IFMT, S_IFLNK, type Checksum } from "../../formats/ostree/index.js"
import { loadCommit, loadDirmeta, loadDirtree, readContentObject } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { childPath, lookupPath, rootNode, type TreeNode } from "../repo/tree-path.js"
import { sysFsError } from "../sysroot/error.js"

const euid = process.geteuid?.() ?? -1

/** lstat, or undefined when nothing is there. */
const lstatIf = (p: string) => lstatSync(p, { throwIfNoEntry: false })

/**
 * Writes one commit entry (`node`) at `dst`, replacing whatever is there unless it is a directory
 * being kept. A directory that replaces a file is written with everything inside it (the diff
 * lists only the path whose type changed); `deep` does the same for everything below.
 */
const writeEntry = async (repo: Repo, node: TreeNode, dst: string, deep = false): Promise<void> => {
  try {
    if (node.kind === "dir") {
      const meta = await loadDirmeta(repo, node.meta)
      const st = lstatIf(dst)
      const typeChanged = st !== undefined && !st.isDirectory()
      if (typeChanged) rmSync(dst, { force: true })
      if (!st || typeChanged) mkdirSync(dst, { mode: 0o700 })
      if (euid === 0) chownSync(dst, meta.uid, meta.gid)
      chmodSync(dst, meta.mode & 0o7777)
      if (typeChanged || deep) {
        const dt = await loadDirtree(repo, node.tree)
        for (const f of dt.files) await writeEntry(repo, { kind: "file", path: childPath(node.path, f.name), csum: f.checksum }, `${dst}/${f.name}`, true)
        for (const d of dt.dirs) await writeEntry(repo, { kind: "dir", path: childPath(node.path, d.name), tree: d.tree, meta: d.meta }, `${dst}/${d.name}`, true)
      }
      return
    }
    const obj = await readContentObject(repo, node.csum, true)
    const tmp = `${dst}.strata-live-tmp`
    rmSync(tmp, { force: true })
    if ((obj.meta.mode & S_IFMT) === S_IFLNK) {
      symlinkSync(obj.meta.symlinkTarget, tmp)
      if (euid === 0) lchownSync(tmp, obj.meta.uid, obj.meta.gid)
    } else {
      writeFileSync(tmp, obj.data, { mode: 0o600 })
      if (euid === 0) chownSync(tmp, obj.meta.uid, obj.meta.gid)
      chmodSync(tmp, obj.meta.mode & 0o7777)
    }
    if (lstatIf(dst)?.isDirectory()) rmSync(dst, { recursive: true, force: true })
    renameSync(tmp, dst)
  } catch (e) {
    throw sysFsError("apply-live: write", dst, e)
  }
}

export interface TreeChanges {
  /** Absolute commit paths (under /usr), parents before children. */
  readonly added: ReadonlyArray<string>
  readonly changed: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
}

/**
 * Makes `$root/usr` show `commit` for the changed paths. `onHalf` runs once half the entries are
 * written (a crash point for the tests).
 */
export const applyUsrChanges = async (o: { repo: Repo; commit: Checksum; root: string; changes: TreeChanges; onHalf?: () => void }): Promise<void> => {
  const root = rootNode(await loadCommit(o.repo, o.commit))
  const writes = [...o.changes.added, ...o.changes.changed]
  const total = writes.length + o.changes.removed.length
  let done = 0
  const tick = () => {
    done++
    if (done === Math.ceil(total / 2)) o.onHalf?.()
  }
  // Parents first: the diff lists an added directory before what is inside it.
  for (const p of [...writes].sort()) {
    await writeEntry(o.repo, await lookupPath(o.repo, root, p, "apply-live"), `${o.root}${p}`)
    tick()
  }
  for (const p of o.changes.removed) {
    try {
      rmSync(`${o.root}${p}`, { recursive: true, force: true })
    } catch (e) {
      throw sysFsError("apply-live: remove", `${o.root}${p}`, e)
    }
    tick()
  }
}

/** Copies `etcPaths` (relative to /etc, parents first) from the commit's /usr/etc into `$root/etc` where missing. */
export const addEtcFiles = async (o: { repo: Repo; commit: Checksum; root: string; etcPaths: ReadonlyArray<string> }): Promise<void> => {
  const root = rootNode(await loadCommit(o.repo, o.commit))
  for (const rel of o.etcPaths) {
    const dst = `${o.root}/etc/${rel}`
    if (lstatIf(dst)) continue
    await writeEntry(o.repo, await lookupPath(o.repo, root, `/usr/etc/${rel}`, "apply-live"), dst)
  }
}

/** Undo of addEtcFiles: removes those paths (children first). */
export const removeEtcFiles = (root: string, etcPaths: ReadonlyArray<string>): string[] => {
  const out: string[] = []
  for (const rel of [...etcPaths].reverse()) {
    const p = `${root}/etc/${rel}`
    rmSync(p, { recursive: true, force: true })
    out.push(p)
  }
  return out
}
