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
})

/** `strata admin init-fs` made a new sysroot. */
export const SysrootInitialized = defineEvent("SysrootInitialized", {
  kind: "fact",
  data: Schema.Struct({ path: Schema.String, strata: Schema.String }),
})

/** A sysroot strata did not create (e.g. by `ostree admin`) was read from disk into one event. */
export const Adopted = defineEvent("Adopted", {
  kind: "fact",
  data: Schema.Struct({
    bootversion: Int,
    subbootversion: Int,
    deployments: Schema.Array(DeploymentRecord),
    /** Index into `deployments` of the booted one, when adopting the running system. */
    booted: Schema.optionalKey(Int),
  }),
})

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

/** Reconciliation found the disk differing from the projections and recorded what it saw. */
export const Reconciled = defineEvent("Reconciled", {
  kind: "fact",
  data: Schema.Struct({
    drift: Schema.Array(Schema.Struct({ kind: Schema.String, path: Schema.optionalKey(Schema.String), detail: Schema.String })),
  }),
})

export const systemEvents = [SysrootInitialized, Adopted, BootRecorded, Reconciled]
