/**
 * The repository side of a compose: write the commit (objects only, no ref: the ref moves in its
 * own step, the transaction's point of no return), move the ref, and — when a compose is undone —
 * remove what it wrote.
 *
 * What a compose wrote is known by time, not by list: before the first object is written a
 * marker file is created in the work dir and its ctime recorded. Objects whose ctime is not older
 * than the marker's, and that no ref and no older commit reaches, are the compose's garbage. ctime
 * cannot be set from user space and a rename (how every object lands in objects/) updates it, and
 * an object the compose found already present is not touched, so keeps its old ctime. The marker
 * and the objects get their times from the same kernel clock.
 */
import { closeSync, existsSync, lstatSync, openSync, writeSync, fsyncSync } from "node:fs"
import { lstat } from "node:fs/promises"
import { join } from "node:path"
import type { Checksum, ObjectType } from "../../formats/ostree/index.js"
import { glibDict, type Variant } from "../../formats/gvariant/index.js"
import { rpmmdReposVariant } from "./metadata.js"
import type { RpmmdRepo } from "./resolve.js"
import { commitTree } from "../repo/commit.js"
import { loadCommit, objectPath } from "../repo/object-read.js"
import { deleteObject } from "../repo/object-delete.js"
import { listObjects, objectKey } from "../repo/object-list.js"
import { listRefs, readRef, writeRefNow } from "../repo/refs.js"
import { openRepo, type Repo } from "../repo/repo.js"
import { flock } from "../repo/syscalls.js"
import { abortTransaction, beginTransaction } from "../repo/transaction.js"
import { emptyReachable, traverseCommit } from "../repo/traverse.js"
import type { Reason } from "../../lib/error.js"
import { composeError } from "./error.js"

const MARKER = "commit-started"

/** Creates (once) the marker in the work dir; returns its ctime in nanoseconds, as a decimal string. */
export const commitMarker = (workdir: string): string => {
  const p = join(workdir, MARKER)
  if (!existsSync(p)) {
    const fd = openSync(p, "w")
    writeSync(fd, "objects written from this file's ctime on belong to this compose\n")
    fsyncSync(fd)
    closeSync(fd)
  }
  return lstatSync(p, { bigint: true }).ctimeNs.toString()
}

/** The marker's ctime, when the work dir still has one. */
export const readCommitMarker = (workdir: string): string | undefined => {
  try {
    return lstatSync(join(workdir, MARKER), { bigint: true }).ctimeNs.toString()
  } catch {
    return undefined
  }
}

export interface WriteCommitOptions {
  readonly repo: string
  readonly root: string
  readonly parent: Checksum | null
  readonly metadata: ReadonlyArray<readonly [string, Variant]>
  readonly timestamp?: bigint
}

/** Writes the tree and the commit object (no ref). Idempotent: the same input gives the same commit. */
export const writeComposeCommit = async (o: WriteCommitOptions): Promise<Checksum> => {
  const repo = await openRepo(o.repo)
  const { commit } = await commitTree(repo, {
    orphan: true,
    trees: [{ dir: o.root }],
    metadata: o.metadata,
    parent: o.parent,
    subject: "",
    body: "",
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
  })
  return commit
}

/** `repo-metadata: detached`: rpmostree.rpmmd-repos in the commit's detached metadata (replacing an earlier run's). */
export const writeDetachedRpmmdRepos = async (repoPath: string, commit: Checksum, repos: ReadonlyArray<RpmmdRepo>): Promise<void> => {
  const { parseDetached, readDetachedBytes, serializeDetached, writeDetachedBytes } = await import("../remote/detached-meta.js")
  const repo = await openRepo(repoPath)
  const existing = await readDetachedBytes(repo, commit)
  const meta = (existing ? parseDetached(existing, `${commit}.commitmeta`) : []).filter(([k]) => k !== "rpmostree.rpmmd-repos")
  await writeDetachedBytes(repo, commit, serializeDetached(glibDict([...meta, ["rpmostree.rpmmd-repos", rpmmdReposVariant(repos)] as const])))
}

/** Signs the compose's commit with the treefile's `gpg-key` (gpg's default homedir: GNUPGHOME). */
export const signComposeCommit = async (repoPath: string, commit: Checksum, keyId: string): Promise<void> => {
  const { gpgSignCommit } = await import("../remote/gpg-sign.js")
  try {
    await gpgSignCommit({ repo: await openRepo(repoPath), commit, keyIds: [keyId], replace: true })
  } catch (e) {
    throw composeError("compose gpg-key", (e as { reason?: Reason }).reason ?? "Io", (e as { detail?: string }).detail ?? String(e))
  }
}

/** Moves `ref` to `to` (durably: refs are written through repo/tmp and renamed). */
export const moveRef = async (repoPath: string, ref: string, to: Checksum): Promise<void> => {
  const repo = await openRepo(repoPath)
  if ((await readRef(repo, "heads", ref)) === to) return
  await writeRefNow(repo, "heads", ref, to)
}

export const currentRef = async (repoPath: string, ref: string): Promise<Checksum | undefined> => readRef(await openRepo(repoPath), "heads", ref)

const TYPES: ReadonlyArray<ObjectType> = ["commit", "dirtree", "dirmeta", "file"]

/**
 * Removes the objects written since `sinceNs` that no ref and no older commit reaches. Takes the
 * repo lock exclusively (as prune does) so no writer is half-way through using them.
 */
export const removeObjectsSince = async (repoPath: string, sinceNs: string): Promise<string[]> => {
  const since = BigInt(sinceNs)
  const lock = await flock(join(repoPath, ".lock"), { exclusive: true, op: "compose undo" })
  try {
    const repo: Repo = await openRepo(repoPath)
    const objects = await listObjects(repo, TYPES)
    const candidates: Array<{ csum: Checksum; type: ObjectType }> = []
    const olderCommits: Checksum[] = []
    for (const o of objects) {
      const st = await lstat(objectPath(repo, o.csum, o.type), { bigint: true }).catch(() => undefined)
      if (!st) continue
      if (st.ctimeNs >= since) candidates.push(o)
      else if (o.type === "commit") olderCommits.push(o.csum)
    }
    if (!candidates.length) return []
    const keep = emptyReachable()
    const roots = [...(await listRefs(repo, { heads: true, remotes: true, mirrors: true })).map((r) => r.checksum), ...olderCommits]
    for (const c of roots) {
      try {
        await traverseCommit(repo, c, -1, keep)
      } catch {
        // a partial or broken commit elsewhere: what it reaches stays as it is
      }
    }
    const removed: string[] = []
    // the commit first, so a crash half-way never leaves a commit without its trees
    candidates.sort((a, b) => (a.type === "commit" ? -1 : 0) - (b.type === "commit" ? -1 : 0))
    for (const o of candidates) {
      if (keep.objects.has(objectKey(o.csum, o.type))) continue
      await deleteObject(repo, o.csum, o.type).catch(() => undefined)
      removed.push(objectKey(o.csum, o.type))
    }
    return removed
  } finally {
    await lock.release()
  }
}

/** The commit a compose made, checked to exist (recovery uses it to rebuild facts). */
export const commitExists = async (repoPath: string, csum: Checksum): Promise<boolean> => {
  try {
    await loadCommit(await openRepo(repoPath), csum)
    return true
  } catch {
    return false
  }
}

/**
 * Removes the staging directories a killed writer left in repo/tmp: opening a repository
 * transaction clears those of dead processes (as ostree's prepare_transaction does), and this
 * one is aborted straight away.
 */
export const clearStaleStaging = async (repoPath: string): Promise<void> => {
  const txn = await beginTransaction(await openRepo(repoPath))
  await abortTransaction(txn)
}
