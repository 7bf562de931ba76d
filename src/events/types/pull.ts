/**
 * Step events of pulling an update into the sysroot repo (the `upgrade` machine's first step):
 * `upgrade`, `deploy VERSION|CHECKSUM` and `rebase` fetch the origin's commit, then stage it.
 *
 * A pull is idempotent: objects are content-addressed and an interrupted pull keeps what it
 * fetched (`state/<c>.commitpartial`), so nothing is undone — a re-run fetches only what is
 * missing. The fact names the commit the rest of the transaction deploys, and the serial its
 * deployment directory gets.
 */
import * as Schema from "effect/Schema"
import { defineStep } from "../event-def.js"

const Int = Schema.Number.check(Schema.isInt())

const pullFields = {
  /** The remote to pull from; "" for a local ref (nothing is fetched). */
  remote: Schema.String,
  ref: Schema.String,
  /** deploy CHECKSUM: this commit of `ref`'s history. */
  commit: Schema.optionalKey(Schema.String),
  /** deploy VERSION: the newest commit of `ref`'s history with this `version`. */
  version: Schema.optionalKey(Schema.String),
  /** The deployed base commit the update is measured against. */
  from: Schema.String,
  stateroot: Schema.String,
  allowDowngrade: Schema.Boolean,
  /** --check: commit metadata only. */
  metadataOnly: Schema.Boolean,
  /** A new deployment is wanted even for the same commit (rebase: the origin changes). */
  force: Schema.Boolean,
}

/** About to pull `remote:ref` (or the commit/version of it) into the sysroot repo. */
export const PullRequested = defineStep("PullRequested", "intent", pullFields)

/** The commit is in the repo (complete unless metadata only) and the remote ref moved. */
export const CommitPulled = defineStep("CommitPulled", "fact", {
  ...pullFields,
  target: Schema.String,
  targetVersion: Schema.optionalKey(Schema.String),
  /** Seconds since the epoch, as a decimal string (commit timestamps are 64-bit). */
  timestamp: Schema.String,
  /** target ≠ from (or force): there is something to deploy. */
  changed: Schema.Boolean,
  /** The serial of the deployment the target would get (0 when nothing is deployed). */
  serial: Int,
})

export const pullEvents = [PullRequested, CommitPulled]

export type PullData = Omit<typeof PullRequested extends { make(data: infer D): unknown } ? D : never, "snapshot">
export type PulledData = Omit<typeof CommitPulled extends { make(data: infer D): unknown } ? D : never, "snapshot">
