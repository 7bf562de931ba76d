/**
 * One line of "what changed" per fact, for `strata history`. Facts of event types this file
 * does not know are shown by their type name, so a new machine's history is never empty.
 */
import type { EventEnvelope } from "../events/envelope.js"
import { BootloaderSwapped, CleanupDone, DeploymentRemoved, DeploymentWritten, KargsChanged, PinChanged } from "../events/types/deployment.js"
import { FsInitialized, OsInitialized } from "../events/types/init.js"
import { DeploymentStaged, EtcMerged } from "../events/types/staging.js"
import { LayerCommitted } from "../events/types/layer.js"
import { CommitPulled } from "../events/types/pull.js"
import { deploymentId } from "./deployment-view.js"

export const describeFact = (e: EventEnvelope): string => {
  if (DeploymentWritten.is(e)) {
    const d = e.data.deployment
    return `wrote deployment ${deploymentId(d)}${d.staged ? " (staged)" : ""}${e.data.version ? ` version ${e.data.version}` : ""}`
  }
  if (BootloaderSwapped.is(e)) {
    const list = e.data.deployments.map(deploymentId)
    const un = e.data.unstage ? `; discarded the staged ${deploymentId(e.data.unstage)}` : ""
    return `bootloader: loader.${e.data.bootversion} with ${list.length} deployment${list.length === 1 ? "" : "s"}${list[0] ? `, default ${list[0]}` : ""}${un}`
  }
  if (DeploymentRemoved.is(e)) return `removed deployment ${deploymentId(e.data)}`
  if (CleanupDone.is(e)) {
    const deps = (e.data.deployments ?? []).map(deploymentId)
    const paths = `${e.data.removed.length} path${e.data.removed.length === 1 ? "" : "s"}`
    return `cleanup: removed ${deps.length ? `deployment${deps.length === 1 ? "" : "s"} ${deps.join(", ")} and ` : ""}${paths}${e.data.prunedObjects ? `, pruned ${e.data.prunedObjects} objects` : ""}`
  }
  if (KargsChanged.is(e)) return `kargs of ${deploymentId(e.data)}: ${e.data.kargs}`
  if (PinChanged.is(e)) return `${e.data.pinned ? "pinned" : "unpinned"} ${deploymentId(e.data)}`
  if (DeploymentStaged.is(e)) return `staged ${deploymentId(e.data.deployment)}${e.data.locked ? " (finalization locked)" : ""}${e.data.replaces ? `, replacing ${deploymentId(e.data.replaces)}` : ""}`
  if (EtcMerged.is(e)) return `merged /etc of ${deploymentId(e.data.merge)} into ${deploymentId(e.data.deployment)}: ${e.data.modified} modified, ${e.data.added} added, ${e.data.removed} removed`
  if (FsInitialized.is(e)) return `init-fs ${e.data.path}: created ${e.data.created.length} path${e.data.created.length === 1 ? "" : "s"}`
  if (OsInitialized.is(e)) return `os-init ${e.data.stateroot}: ${e.data.existed ? "already there, " : ""}created ${e.data.created.length} path${e.data.created.length === 1 ? "" : "s"}`
  if (LayerCommitted.is(e)) {
    const d = e.data
    if (d.commit === d.base) return `${d.op}: no layers, the base ${d.base.slice(0, 12)} itself`
    const parts = [...d.installed.map((p) => `+${p}`), ...d.removed.map((p) => `-${p}`), ...d.replaced.map((r) => `${r.old}→${r.new}`)]
    return `${d.op}: layered commit ${d.commit.slice(0, 12)} on base ${d.base.slice(0, 12)}${parts.length ? `: ${parts.join(" ")}` : ""}${d.inactive.length ? ` (inactive: ${d.inactive.join("; ")})` : ""}`
  }
  if (CommitPulled.is(e)) {
    const d = e.data
    const what = `${d.remote ? `${d.remote}:` : ""}${d.ref}`
    const version = d.targetVersion !== undefined ? ` (version ${d.targetVersion})` : ""
    return d.changed ? `pulled ${what}: ${d.target.slice(0, 12)}${version}, from ${d.from.slice(0, 12)}` : `pulled ${what}: no update (${d.target.slice(0, 12)}${version})`
  }
  return e.type
}
