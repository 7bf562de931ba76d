/**
 * Step events of client-side layering (FORMATS.md §7.3): building the client-layer commit a new
 * deployment is made from — base + requested packages − removals ± replacements — before the
 * deployment is written (then staged, or swapped into the boot list on an unbooted sysroot).
 *
 * The build writes only content-addressed objects (the commit, imported local packages) and
 * the `rpmostree/base/<i>` refs; its work directory under the repo's tmp is what undo removes.
 */
import * as Schema from "effect/Schema"
import { defineStep } from "../event-def.js"
import { deploymentRefFields } from "./deployment.js"

const Int = Schema.Number.check(Schema.isInt())

const layerFields = {
  /** The command: install, uninstall, override-remove, override-replace, override-reset, reset, upgrade. */
  op: Schema.String,
  stateroot: Schema.String,
  /** The base commit (never a client-layer one). */
  base: Schema.String,
  /** The new deployment's origin: its [packages]/[overrides]/[rpmostree] say what to layer. */
  origin: Schema.String,
  /** The deployment whose /etc has the repositories and keys (the merge deployment). */
  config: Schema.Struct(deploymentRefFields),
  /** Local RPM files of this command, by the sha256 the origin records. */
  localFiles: Schema.Array(Schema.Struct({ sha256: Schema.String, path: Schema.String })),
}

/** About to build the layered commit (or, with no layering state left, to use the base). */
export const LayerRequested = defineStep("LayerRequested", "intent", layerFields)

/** The commit the new deployment is made from exists in the repo. */
export const LayerCommitted = defineStep("LayerCommitted", "fact", {
  ...layerFields,
  /** The client-layer commit, or the base itself when nothing is layered. */
  commit: Schema.String,
  /** The serial its deployment directory gets. */
  serial: Int,
  installed: Schema.Array(Schema.String),
  removed: Schema.Array(Schema.String),
  replaced: Schema.Array(Schema.Struct({ new: Schema.String, old: Schema.String })),
  inactive: Schema.Array(Schema.String),
})

export const layerEvents = [LayerRequested, LayerCommitted]

export type LayerData = Omit<typeof LayerRequested extends { make(data: infer D): unknown } ? D : never, "snapshot">
export type LayeredData = Omit<typeof LayerCommitted extends { make(data: infer D): unknown } ? D : never, "snapshot">
