/**
 * Step events of `apply-live` (rpm-ostree's `apply-live` / `install --apply-live`): the
 * difference between the commit the running /usr shows (the booted commit, or the last
 * live-applied one) and a target commit (normally the pending deployment's) is applied to the
 * running system — /usr through a transient overlayfs whose upper dir is under the run dir, new
 * /etc files copied in. The booted deployment's directory is never written.
 *
 * The live state is recorded like rpm-ostree records it: the stamp
 * `$runDir/ostree/deployment-state/$csum.$serial/rpmostree-is-live.stamp` and the repo refs
 * `rpmostree/live-apply` (the commit /usr now shows) and `rpmostree/live-apply-inprogress`
 * (the commit an apply was targeting when it stopped).
 */
import * as Schema from "effect/Schema"
import { defineStep } from "../event-def.js"
import { deploymentRefFields } from "./deployment.js"

const liveFields = {
  /** The booted deployment (its directory is the running root, never written). */
  deployment: Schema.Struct(deploymentRefFields),
  /** The path that is the running root (`/`; STRATA_LIVE_ROOT in tests). */
  root: Schema.String,
  runDir: Schema.String,
  /** /proc/sys/kernel/random/boot_id: after a reboot the overlay is gone and undo leaves /usr alone. */
  bootId: Schema.String,
}

/** About to mount the transient overlay on `$root/usr` (upper and work dirs under `dir`). */
export const LiveUnlockRequested = defineStep("LiveUnlockRequested", "intent", {
  ...liveFields,
  /** `$runDir/strata/live/$csum.$serial`: upper/ and work/ of the overlay. */
  dir: Schema.String,
})

/** `$root/usr` is an overlay with its upper dir in `dir`; the deployment is unlocked "transient". */
export const LiveUnlocked = defineStep("LiveUnlocked", "fact", { ...liveFields, dir: Schema.String })

const applyFields = {
  ...liveFields,
  /** The commit /usr shows before this apply (booted, or the previous live commit). */
  source: Schema.String,
  target: Schema.String,
  /** rpmostree/live-apply before this apply (absent: never applied live in this boot). */
  previousLive: Schema.optionalKey(Schema.String),
  /** This transaction mounted the overlay: undo unmounts it, which drops every /usr change. */
  unlockedHere: Schema.Boolean,
  /** /etc paths (relative) the apply adds because they did not exist: what undo removes. */
  etcAdded: Schema.Array(Schema.String),
}

/** About to write the target's /usr changes into the overlay and its new /etc files. */
export const LiveApplyRequested = defineStep("LiveApplyRequested", "intent", applyFields)

/** /usr shows the target; rpmostree/live-apply = target, no in-progress ref. */
export const LiveApplied = defineStep("LiveApplied", "fact", {
  ...applyFields,
  added: Schema.Number,
  changed: Schema.Number,
  removed: Schema.Number,
})

export const liveEvents = [LiveUnlockRequested, LiveUnlocked, LiveApplyRequested, LiveApplied]

export type LiveUnlockData = Omit<typeof LiveUnlockRequested extends { make(data: infer D): unknown } ? D : never, "snapshot">
export type LiveApplyData = Omit<typeof LiveApplyRequested extends { make(data: infer D): unknown } ? D : never, "snapshot">
