/**
 * Step events of staged deployments (FORMATS.md 6.7): staging writes a deployment now and a
 * `$runDir/ostree/staged-deployment` state file that makes shutdown finalize it; finalizing merges
 * /etc into it and swaps it into the boot list (the swap events of deployment.ts).
 *
 * The state file is what commits a stage (the point of no return of `stage`): from then on the
 * next shutdown puts the deployment in the boot list. /run is a tmpfs, so a power cut loses it;
 * the log keeps what it said (DeploymentStaged), and reconciliation writes it again.
 */
import * as Schema from "effect/Schema"
import { defineStep } from "../event-def.js"
import { deploymentRefFields } from "./deployment.js"

const Int = Schema.Number.check(Schema.isInt())

/** A deployment as the state file names it: `name` = `$checksum.$serial`, `osname`, `bootcsum`. */
export const StagedRef = Schema.Struct({ ...deploymentRefFields, bootcsum: Schema.String })
export type StagedRef = typeof StagedRef.Type

const stageFields = {
  deployment: StagedRef,
  merge: Schema.optionalKey(StagedRef),
  kargs: Schema.optionalKey(Schema.String),
  locked: Schema.optionalKey(Schema.Boolean),
  runDir: Schema.String,
  /** The state file this one replaces (base64), restored by undo; absent: there was none. */
  previous: Schema.optionalKey(Schema.String),
  /** The deployment staged before, which this stage discards. */
  replaces: Schema.optionalKey(Schema.Struct(deploymentRefFields)),
}

/** About to write the state file naming `deployment`; undo puts `previous` back. */
export const StageRequested = defineStep("StageRequested", "intent", stageFields)

/** The state file names `deployment`: the next shutdown finalizes it. */
export const DeploymentStaged = defineStep("DeploymentStaged", "fact", stageFields)

/** About to merge the merge deployment's /etc changes into the staged deployment (finalization). */
export const EtcMergeRequested = defineStep("EtcMergeRequested", "intent", {
  deployment: Schema.Struct(deploymentRefFields),
  merge: Schema.Struct(deploymentRefFields),
})

export const EtcMerged = defineStep("EtcMerged", "fact", {
  deployment: Schema.Struct(deploymentRefFields),
  merge: Schema.Struct(deploymentRefFields),
  modified: Int,
  removed: Int,
  added: Int,
})

export const stagingEvents = [StageRequested, DeploymentStaged, EtcMergeRequested, EtcMerged]

/** A stage step's payload (intent and fact alike), without the persisted snapshot. */
export type StageData = Omit<typeof StageRequested extends { make(data: infer D): unknown } ? D : never, "snapshot">
