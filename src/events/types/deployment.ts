/**
 * Step events of the sysroot transactions (deploy, rollback, undeploy, cleanup, pin, kargs,
 * finalize-staged). Each step is a pair: an *intent* appended durably before its side effect
 * (the step's input: everything recovery needs to undo a partial effect) and a *fact* appended
 * once the effect is durable (the step's output). The deployments/bootloader projections
 * (src/projections) fold the facts; intents only matter to recovery.
 *
 * A deployment is named by `{stateroot, checksum, serial}`: its directory is
 * `ostree/deploy/$stateroot/deploy/$checksum.$serial` (FORMATS.md 6.1).
 */
import * as Schema from "effect/Schema"
import { defineStep } from "../event-def.js"
import { DeploymentRecord } from "./system.js"

const Int = Schema.Number.check(Schema.isInt())
const BootVersion = Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 1 }))

/** The fields naming one deployment. */
export const deploymentRefFields = { stateroot: Schema.String, checksum: Schema.String, serial: Int }
export const DeploymentRef = Schema.Struct(deploymentRefFields)
export type DeploymentRef = typeof DeploymentRef.Type

/** About to write `deploy/$checksum.$serial` (+ `.origin`); undo removes whatever part exists. */
export const DeployRequested = defineStep("DeployRequested", "intent", {
  ...deploymentRefFields,
  /** The .origin keyfile text to write. */
  origin: Schema.optionalKey(Schema.String),
  /** Kernel arguments for its boot entry: the BLS `options` (an `ostree=` in it is rewritten in place). */
  kargs: Schema.optionalKey(Schema.String),
  /** Staged (`--stage`): written now, put in the bootloader by finalize-staged. */
  staged: Schema.optionalKey(Schema.Boolean),
  /** The merge deployment whose /etc changes carry over (none: --no-merge). */
  merge: Schema.optionalKey(DeploymentRef),
})

/** The deployment directory and its .origin are complete and synced. */
export const DeploymentWritten = defineStep("DeploymentWritten", "fact", {
  deployment: DeploymentRecord,
  /** The BLS `options` (io/sysroot's Deployment.kargs; an `ostree=` in it is rewritten in place). */
  kargs: Schema.optionalKey(Schema.String),
  /** The commit's `version` metadata, if any. */
  version: Schema.optionalKey(Schema.String),
})

/**
 * One deployment of a boot list: its name, plus what its boot entry is written from (all that
 * io/sysroot's writeBootloaderSide needs, so the step can be re-run from its intent alone).
 */
export const BootListEntry = Schema.Struct({
  ...deploymentRefFields,
  bootcsum: Schema.optionalKey(Schema.String),
  /** BLS `options` (an `ostree=` in it is rewritten in place when the entry is written). */
  kargs: Schema.optionalKey(Schema.String),
  origin: Schema.optionalKey(Schema.String),
  version: Schema.optionalKey(Schema.String),
  pinned: Schema.optionalKey(Schema.Boolean),
})
export type BootListEntry = typeof BootListEntry.Type

/**
 * The whole new boot list (ostree writes deployments as a list, never a diff): the inactive
 * `boot/loader.$bootversion` side is being built and will be swapped in by renaming
 * `boot/loader.tmp` over `boot/loader` — the point of no return of sysroot transactions.
 */
/**
 * A staged deployment the new list leaves out (ostree discards it when writing a list it is not
 * first in): its /run state file is removed right after the swap, so it is never finalized.
 */
export const Unstage = Schema.Struct({ ...deploymentRefFields, runDir: Schema.String })
export type Unstage = typeof Unstage.Type

const swapFields = {
  bootversion: BootVersion,
  subbootversion: BootVersion,
  deployments: Schema.Array(BootListEntry),
  unstage: Schema.optionalKey(Unstage),
}

export const BootloaderSwapRequested = defineStep("BootloaderSwapRequested", "intent", swapFields)

/** `boot/loader` now points at `loader.$bootversion`, listing `deployments` in boot order. */
export const BootloaderSwapped = defineStep("BootloaderSwapped", "fact", swapFields)

/** About to delete a deployment that is no longer in the boot list (cleanup, undeploy). */
export const DeploymentRemoveRequested = defineStep("DeploymentRemoveRequested", "intent", deploymentRefFields)

/** The deployment directory and its .origin are gone. */
export const DeploymentRemoved = defineStep("DeploymentRemoved", "fact", deploymentRefFields)

/** About to remove what no deployment uses: old boot dirs, bootcsum dirs, staging, objects. */
export const CleanupRequested = defineStep("CleanupRequested", "intent", {
  /** Also prune the repo (`cleanup -p` / ostree's default prune). */
  prune: Schema.optionalKey(Schema.Boolean),
  /** Where the staged deployment's state file is: a staged deployment is kept. */
  runDir: Schema.optionalKey(Schema.String),
})

export const CleanupDone = defineStep("CleanupDone", "fact", {
  /** Paths removed. */
  removed: Schema.Array(Schema.String),
  /** Deployment directories removed (not in the boot list). */
  deployments: Schema.optionalKey(Schema.Array(DeploymentRef)),
  prunedObjects: Schema.optionalKey(Int),
})

/**
 * About to rewrite a deployment's kernel arguments in place (`admin kargs edit-in-place`).
 * `previous` is part of the request, read before anything changed: a re-run of the idempotent
 * step would read the new value, and undo needs the old one.
 */
const kargsFields = {
  ...deploymentRefFields,
  kargs: Schema.String,
  previous: Schema.String,
  /** Set for the staged deployment: its kargs live in `$runDir/ostree/staged-deployment`. */
  runDir: Schema.optionalKey(Schema.String),
}

export const KargsChangeRequested = defineStep("KargsChangeRequested", "intent", kargsFields)

export const KargsChanged = defineStep("KargsChanged", "fact", kargsFields)

/** About to (un)pin a deployment (`[libostree-transient] pinned` in its .origin); `previous` as for kargs. */
export const PinRequested = defineStep("PinRequested", "intent", {
  ...deploymentRefFields,
  pinned: Schema.Boolean,
  previous: Schema.Boolean,
})

export const PinChanged = defineStep("PinChanged", "fact", {
  ...deploymentRefFields,
  pinned: Schema.Boolean,
  previous: Schema.Boolean,
})

export const deploymentEvents = [
  DeployRequested,
  DeploymentWritten,
  BootloaderSwapRequested,
  BootloaderSwapped,
  DeploymentRemoveRequested,
  DeploymentRemoved,
  CleanupRequested,
  CleanupDone,
  KargsChangeRequested,
  KargsChanged,
  PinRequested,
  PinChanged,
]
