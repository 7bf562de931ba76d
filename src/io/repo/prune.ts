/**
 * `prune` (ot-builtin-prune.c, ostree-repo-prune.c): delete every object no root reaches.
 * Roots are every commit in the repo (default: only orphaned trees and files go), or with
 * `refsOnly` the refs' commits and `depth` parents of each (-1: all); `keepYoungerThan` keeps
 * each ref's commit and the unbroken run of its ancestors at least that new. Runs under the
 * exclusive repo lock, so no transaction can be adding objects meanwhile.
 *
 * As ostree: `deleteCommit` (refused while a ref points at it) turns on
 * `core.tombstone-commits`, and every commit deleted while that is on leaves a tombstone;
 * tombstones and detached metadata are not counted as objects.
 */
import { lstat } from "node:fs/promises"
import { join } from "node:path"
import { getBoolean, setString } from "../../formats/keyfile.js"
import type { Checksum, ObjectType } from "../../formats/ostree/index.js"
import { RepoError } from "./error.js"
import { loadCommit, objectPath } from "./object-read.js"
import { deleteObject } from "./object-delete.js"
import { listObjects, objectKey } from "./object-list.js"
import { listRefs } from "./refs.js"
import { openRepo, writeRepoConfig, type Repo } from "./repo.js"
import { revParse } from "./rev.js"
import { flock } from "./syscalls.js"
import { emptyReachable, traverseCommit, type Reachable } from "./traverse.js"

export interface PruneOptions {
  /** Reachability from refs only (default: from every commit object). */
  readonly refsOnly?: boolean
  /** Parents to follow from each root; -1 (default) for all. */
  readonly depth?: number
  /** Report what would be deleted, delete nothing. */
  readonly noPrune?: boolean
  /** Seconds since the epoch: drop ref history older than this (implies refsOnly). */
  readonly keepYoungerThan?: bigint
  /** A commit to delete first (ostree --delete-commit). */
  readonly deleteCommit?: string
}

export interface PruneResult {
  readonly total: number
  readonly pruned: number
  readonly freedBytes: number
}

/** Object kinds prune weighs; tombstones and detached metadata go only with their commit. */
const COUNTED: ReadonlyArray<ObjectType> = ["commit", "dirtree", "dirmeta", "file"]

const allRefs = (repo: Repo) => listRefs(repo, { heads: true, remotes: true, mirrors: true })

const deleteCommitFirst = async (repo: Repo, rev: string): Promise<void> => {
  const csum = await revParse(repo, rev)
  await loadCommit(repo, csum)
  const holder = (await allRefs(repo)).find((r) => r.checksum === csum)
  if (holder) throw new RepoError({ op: "prune", reason: "Invalid", detail: `commit '${csum}' is referenced by '${holder.name}'` })
  if (getBoolean(repo.config, "core", "tombstone-commits") !== true) {
    setString(repo.config, "core", "tombstone-commits", "true")
    await writeRepoConfig(repo)
  }
  await deleteObject(repo, csum, "commit", { tombstone: true })
}

/** A ref's commit, then its ancestors while they are at least `cutoff` new (traverse_keep_younger_than). */
const keepYounger = async (repo: Repo, head: Checksum, cutoff: bigint, into: Reachable): Promise<void> => {
  await traverseCommit(repo, head, 0, into)
  let next = (await loadCommit(repo, head)).parent
  while (next) {
    let c
    try {
      c = await loadCommit(repo, next)
    } catch (e) {
      if (e instanceof RepoError && e.reason === "NotFound") return
      throw e
    }
    if (c.timestamp < cutoff) return
    await traverseCommit(repo, next, 0, into)
    next = c.parent
  }
}

const reachable = async (repo: Repo, opts: PruneOptions): Promise<Reachable> => {
  const into = emptyReachable()
  const depth = opts.depth ?? -1
  if (opts.keepYoungerThan !== undefined) {
    for (const r of await allRefs(repo)) await keepYounger(repo, r.checksum, opts.keepYoungerThan, into)
    return into
  }
  for (const r of await allRefs(repo)) await traverseCommit(repo, r.checksum, depth, into)
  if (!opts.refsOnly) for (const o of await listObjects(repo, ["commit"])) await traverseCommit(repo, o.csum, depth, into)
  return into
}

export const pruneRepo = async (path: string, opts: PruneOptions = {}): Promise<PruneResult> => {
  const lock = await flock(join(path, ".lock"), { exclusive: true, op: "prune" })
  try {
    const repo = await openRepo(path) // read under the lock
    if (opts.deleteCommit !== undefined) await deleteCommitFirst(repo, opts.deleteCommit)
    const keep = await reachable(repo, opts)
    const tombstone = getBoolean(repo.config, "core", "tombstone-commits") === true
    const objects = await listObjects(repo, COUNTED)
    let pruned = 0
    let freedBytes = 0
    for (const o of objects) {
      if (keep.objects.has(objectKey(o.csum, o.type))) continue
      pruned++
      freedBytes += (await lstat(objectPath(repo, o.csum, o.type)).catch(() => undefined))?.size ?? 0
      if (!opts.noPrune) await deleteObject(repo, o.csum, o.type, { tombstone })
    }
    return { total: objects.length, pruned, freedBytes }
  } finally {
    await lock.release()
  }
}
