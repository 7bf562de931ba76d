/**
 * Step events of `compose tree` (a transaction on a repository, logged in the repo:
 * REPO/extensions/strata/log). Resolution happens before the transaction (it reads only); the
 * request carries its answer.
 *
 *   ComposeRequested → PackagesDownloaded        downloads into the cachedir (kept: a cache)
 *   TreeAssembleRequested → TreeAssembled        the root in the work dir (undo: remove it)
 *   CommitRequested → CommitWritten              objects + commit, no ref (undo: objects written since the marker and reachable from nothing)
 *   RefMoveRequested → RefMoved                  the point of no return
 *   ComposeCleanupRequested → ComposeWorkdirRemoved
 */
import * as Schema from "effect/Schema"
import { defineStep } from "../event-def.js"

const Int = Schema.Number.check(Schema.isInt())

export const composeRequestFields = {
  repo: Schema.String,
  ref: Schema.String,
  /** The ref's commit before this compose ("" for none): the new commit's parent. */
  parent: Schema.String,
  treefilePath: Schema.String,
  /** The expanded treefile, canonical JSON. */
  treefile: Schema.String,
  /** The resolved packages (ResolvedPackage[]), JSON. */
  packages: Schema.String,
  cachedir: Schema.String,
  workdir: Schema.String,
  inputhash: Schema.String,
  version: Schema.optionalKey(Schema.String),
  /** --add-metadata-string values, JSON object. */
  extraMetadata: Schema.String,
  /** The commit's timestamp, seconds since the epoch as a decimal string (fixed here so a re-run writes the same commit). */
  timestamp: Schema.String,
  /** ostree-layers / ostree-override-layers resolved to commits (OstreeLayer[]), JSON; absent when none. */
  layers: Schema.optionalKey(Schema.String),
  /** The repositories resolution used (RpmmdRepo[]), JSON: `rpmostree.rpmmd-repos`; absent in older logs. */
  rpmmdRepos: Schema.optionalKey(Schema.String),
  /** Found under the lock: the ref's commit already has this input hash (a concurrent compose made it). */
  unchanged: Schema.optionalKey(Schema.Boolean),
}

export const ComposeRequested = defineStep("ComposeRequested", "intent", composeRequestFields)
export const PackagesDownloaded = defineStep("PackagesDownloaded", "fact", { fetched: Int, reused: Int, bytes: Int })

export const TreeAssembleRequested = defineStep("TreeAssembleRequested", "intent", composeRequestFields)
export const TreeAssembled = defineStep("TreeAssembled", "fact", {
  workdir: Schema.String,
  packages: Int,
  kver: Schema.optionalKey(Schema.String),
})

export const CommitRequested = defineStep("CommitRequested", "intent", { ...composeRequestFields, kver: Schema.optionalKey(Schema.String) })
export const CommitWritten = defineStep("CommitWritten", "fact", {
  commit: Schema.String,
  /** ctime (ns, decimal) of the work dir's marker: objects from then on that nothing reaches are this compose's. */
  since: Schema.String,
  workdir: Schema.String,
})

const refMove = { repo: Schema.String, ref: Schema.String, from: Schema.String, to: Schema.String, version: Schema.optionalKey(Schema.String) }
export const RefMoveRequested = defineStep("RefMoveRequested", "intent", refMove)
export const RefMoved = defineStep("RefMoved", "fact", refMove)

export const ComposeCleanupRequested = defineStep("ComposeCleanupRequested", "intent", { workdir: Schema.String })
export const ComposeWorkdirRemoved = defineStep("ComposeWorkdirRemoved", "fact", { workdir: Schema.String })

export const composeEvents = [
  ComposeRequested, PackagesDownloaded, TreeAssembleRequested, TreeAssembled, CommitRequested, CommitWritten,
  RefMoveRequested, RefMoved, ComposeCleanupRequested, ComposeWorkdirRemoved,
]

export type ComposeRequestData = Omit<typeof ComposeRequested extends { make(data: infer D): unknown } ? D : never, "snapshot">
