/**
 * Events of the `system` stream: how the sysroot came under strata's management, boots, and
 * drift found by reconciliation. Payloads are deliberately small records of what was seen; the
 * projections (src/projections) give them meaning.
 */
import * as Schema from "effect/Schema"
import { defineEvent } from "../event-def.js"

/** The name of the stream these events go to. */
export const SYSTEM_STREAM = "system"

const Int = Schema.Number.check(Schema.isInt())

/** What a staged deployment is finalized with (its /run state file), kept so it can be re-staged. */
export const StageInfo = Schema.Struct({
  /** The merge deployment whose /etc is merged in at finalization. */
  merge: Schema.optionalKey(Schema.Struct({ stateroot: Schema.String, checksum: Schema.String, serial: Int, bootcsum: Schema.String })),
  /** Kernel arguments given at staging (none: the merge deployment's at finalization). */
  kargs: Schema.optionalKey(Schema.String),
  /** --lock-finalization: not finalized at shutdown. */
  locked: Schema.optionalKey(Schema.Boolean),
})
export type StageInfo = typeof StageInfo.Type

/** One deployment as found on disk (ostree/deploy/$stateroot/deploy/$checksum.$serial). */
export const DeploymentRecord = Schema.Struct({
  stateroot: Schema.String,
  checksum: Schema.String,
  serial: Int,
  bootcsum: Schema.optionalKey(Schema.String),
  /** The .origin keyfile text, verbatim. */
  origin: Schema.optionalKey(Schema.String),
  pinned: Schema.Boolean,
  staged: Schema.Boolean,
  /** The BLS `options` of its boot entry (listed deployments). */
  kargs: Schema.optionalKey(Schema.String),
  /** The commit's `version` metadata. */
  version: Schema.optionalKey(Schema.String),
  /** For a staged deployment: what its /run state file said. */
  stage: Schema.optionalKey(StageInfo),
})
export type DeploymentRecord = typeof DeploymentRecord.Type

/**
 * A sysroot's deployment state as read from disk: the boot list (a staged deployment first, when
 * the run directory was read), the deployment directories nothing boots, and the booted one.
 */
export const SysrootSnapshot = Schema.Struct({
  bootversion: Int,
  subbootversion: Int,
  deployments: Schema.Array(DeploymentRecord),
  /** Deployment directories in no boot entry and not staged (cleanup's work). */
  unlisted: Schema.optionalKey(Schema.Array(DeploymentRecord)),
  /** Index into `deployments` of the booted one, when adopting the running system. */
  booted: Schema.optionalKey(Int),
})
export type SysrootSnapshot = typeof SysrootSnapshot.Type

/** `strata admin init-fs` made a new sysroot. */
export const SysrootInitialized = defineEvent("SysrootInitialized", {
  kind: "fact",
  data: Schema.Struct({ path: Schema.String, strata: Schema.String }),
})

/** A sysroot strata did not create (e.g. by `ostree admin`) was read from disk into one event. */
export const Adopted = defineEvent("Adopted", { kind: "fact", data: SysrootSnapshot })

/** `strata admin record-boot`: one boot of one deployment. */
export const BootRecorded = defineEvent("BootRecorded", {
  kind: "fact",
  data: Schema.Struct({
    bootId: Schema.String,
    /** `$checksum.$serial` of the booted deployment, if it could be identified. */
    deployment: Schema.optionalKey(Schema.String),
    kernel: Schema.optionalKey(Schema.String),
  }),
})

/** One difference between the projections and the disk. */
export const Drift = Schema.Struct({ kind: Schema.String, path: Schema.optionalKey(Schema.String), detail: Schema.String })
export type Drift = typeof Drift.Type

/**
 * Reconciliation found the disk differing from the projections (e.g. a deployment made by
 * `ostree admin deploy`) and recorded what it saw: the differences, and the disk's state, which
 * the projections take from here on. Without `state`, nothing the projections hold changed
 * (e.g. a staged deployment's lost /run state file was written again).
 */
export const Reconciled = defineEvent("Reconciled", {
  kind: "fact",
  data: Schema.Struct({ drift: Schema.Array(Drift), state: Schema.optionalKey(SysrootSnapshot) }),
})

export const systemEvents = [SysrootInitialized, Adopted, BootRecorded, Reconciled]
