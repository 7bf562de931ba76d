/**
 * Reconciliation's comparison (DESIGN.md "Projections"): the deployments projection against a
 * snapshot of the disk. Pure; src/machines/reconcile.ts reads the disk and records the result.
 *
 * Compared: the live loader versions, the boot order, which deployment directories exist, and
 * per deployment its pin, its origin (without the transient group, which holds the pin) and its
 * kernel arguments (without the `ostree=`/`init=` arguments every boot entry rewrites). The staged
 * deployment is compared only when the run directory was read (`stagedKnown`).
 *
 * A deployment the log says is staged, whose directory exists but whose /run state file is gone
 * (a power cut: /run is a tmpfs), is not drift: it is returned in `restage`, to be staged again.
 */
import type { Drift, SysrootSnapshot } from "../events/types/system.js"
import { deploymentId, type DeploymentView, type DeploymentsState } from "./deployment-view.js"

export interface DriftReport {
  readonly drift: ReadonlyArray<Drift>
  readonly restage: ReadonlyArray<DeploymentView>
}

/** Kernel arguments as they matter: without the per-entry `ostree=` and `init=/ostree/boot.…`. */
export const comparableKargs = (options: string | undefined): string =>
  (options ?? "")
    .split(" ")
    .filter((k) => k !== "" && !k.startsWith("ostree=") && !k.startsWith("init=/ostree/boot."))
    .join(" ")

/** An origin without its `[libostree-transient]` group (where the pin lives). */
export const comparableOrigin = (origin: string | undefined): string => {
  const out: string[] = []
  let skip = false
  for (const line of (origin ?? "").split("\n")) {
    const group = /^\s*\[(.*)\]\s*$/.exec(line)
    if (group) skip = group[1] === "libostree-transient"
    if (!skip && line.trim() !== "") out.push(line.trim())
  }
  return out.join("\n")
}

export const driftOf = (p: DeploymentsState, disk: SysrootSnapshot, stagedKnown: boolean): DriftReport => {
  const drift: Drift[] = []
  const add = (kind: string, detail: string, path?: string): void => void drift.push({ kind, detail, ...(path ? { path } : {}) })
  if (p.bootversion !== disk.bootversion || p.subbootversion !== disk.subbootversion) {
    add("loader", `the log says loader ${p.bootversion}.${p.subbootversion}, the disk has ${disk.bootversion}.${disk.subbootversion}`)
  }
  const listed = disk.deployments.filter((d) => !d.staged)
  const diskOrder = listed.map(deploymentId)
  if (diskOrder.join(" ") !== p.order.join(" ")) add("boot-order", `the log says [${p.order.join(", ")}], the boot entries list [${diskOrder.join(", ")}]`)
  for (const d of disk.deployments.filter((x) => x.staged)) {
    if (diskOrder.includes(deploymentId(d))) add("staged", `${deploymentId(d)} is staged and in the boot entries at once`)
  }
  const onDisk = new Map([...disk.deployments, ...(disk.unlisted ?? [])].map((d) => [deploymentId(d), d]))
  const restage: DeploymentView[] = []
  for (const [id, v] of Object.entries(p.byId)) {
    const d = onDisk.get(id)
    if (!d) {
      add("missing", `deployment ${id} is in the log but not on disk`)
      continue
    }
    if (d.pinned !== v.pinned) add("pinned", `${id}: the log says ${v.pinned ? "pinned" : "not pinned"}, its origin says ${d.pinned ? "pinned" : "not pinned"}`)
    if (v.origin !== undefined && d.origin !== undefined && comparableOrigin(v.origin) !== comparableOrigin(d.origin)) add("origin", `${id}: its origin file differs from the log's`)
    const isListed = diskOrder.includes(id)
    if (isListed && v.kargs !== undefined && d.kargs !== undefined && comparableKargs(v.kargs) !== comparableKargs(d.kargs)) {
      add("kargs", `${id}: the log says "${comparableKargs(v.kargs)}", its boot entry says "${comparableKargs(d.kargs)}"`)
    }
    if (stagedKnown && v.staged !== d.staged) {
      const stagedElsewhere = disk.deployments.some((x) => x.staged)
      if (v.staged && !d.staged && !isListed && !stagedElsewhere) restage.push(v)
      else add("staged", `${id}: the log says ${v.staged ? "staged" : "not staged"}, the run directory says ${d.staged ? "staged" : "not staged"}`)
    }
  }
  for (const id of onDisk.keys()) if (!(id in p.byId)) add("unknown", `deployment ${id} is on disk but not in the log`)
  return { drift, restage }
}
