/**
 * The deployments projection's state and the pure views of it (no event types here, so readers
 * such as `strata status` can use it without loading the event schemas): the deployment views,
 * the list as `ostree admin status` orders it, and the deployments cleanup would remove.
 */
import type { DeploymentRef } from "../events/types/deployment.js"
import type { DeploymentRecord, StageInfo, SysrootSnapshot } from "../events/types/system.js"
import type { Mark } from "./fold.js"

export interface DeploymentView {
  /** rpm-ostree's id: `$stateroot-$checksum.$serial`. */
  readonly id: string
  readonly stateroot: string
  readonly checksum: string
  readonly serial: number
  readonly bootcsum?: string
  /** The .origin keyfile text. */
  readonly origin?: string
  /** The BLS `options` (may hold the `ostree=` of the entry it was read from). */
  readonly kargs?: string
  readonly version?: string
  readonly pinned: boolean
  /** Written with `--stage`, not yet in the boot list. */
  readonly staged: boolean
  /** For a staged deployment: what its /run state file says (to write it again if /run lost it). */
  readonly stage?: StageInfo
  /** The event that recorded it (absent for adopted deployments' transactions). */
  readonly written?: Mark & { readonly txn?: string }
}

/** How to take back one fact: the view the id had before it (undefined = did not exist). */
export interface Inverse {
  readonly id: string
  readonly before: DeploymentView | undefined
}

export interface DeploymentsState {
  /** `readlink boot/loader` = `loader.$bootversion`. */
  readonly bootversion: number
  readonly subbootversion: number
  /** Ids in boot order, as in the bootloader entries (staged deployments are not in it). */
  readonly order: ReadonlyArray<string>
  /** Every deployment whose directory exists. */
  readonly byId: Readonly<Record<string, DeploymentView>>
  readonly booted?: string
  /** Per open transaction, the inverses of its facts, oldest first. */
  readonly pendingUndo: Readonly<Record<string, ReadonlyArray<Inverse>>>
  /** The last event folded in. */
  readonly pos: number
}

export const deploymentId = (d: DeploymentRef): string => `${d.stateroot}-${d.checksum}.${d.serial}`

export const emptyDeployments: DeploymentsState = { bootversion: 0, subbootversion: 0, order: [], byId: {}, pendingUndo: {}, pos: 0 }

export interface ListedDeployment extends DeploymentView {
  readonly index: number
  readonly booted: boolean
  /** The deployment that boots next when the booted one is not first (ostree's "pending"). */
  readonly pending: boolean
  readonly rollback: boolean
}

/**
 * The deployments as `ostree admin status` lists them: staged first, then boot order; pending and
 * rollback per stateroot as `ostree_sysroot_query_deployments_for` decides them.
 */
export const listDeployments = (s: DeploymentsState): ListedDeployment[] => {
  const staged = Object.values(s.byId).filter((v) => v.staged && !s.order.includes(v.id))
  const list = [...staged, ...s.order.map((id) => s.byId[id]).filter((v): v is DeploymentView => v !== undefined)]
  const seenBooted = new Set<string>()
  const pending = new Set<string>()
  const rollback = new Set<string>()
  for (const v of list) {
    if (v.id === s.booted) {
      seenBooted.add(v.stateroot)
      continue
    }
    const key = v.stateroot
    if (!seenBooted.has(key)) {
      if (![...pending].some((id) => s.byId[id]?.stateroot === key)) pending.add(v.id)
    } else if (![...rollback].some((id) => s.byId[id]?.stateroot === key)) rollback.add(v.id)
  }
  return list.map((v, index) => ({ ...v, index, booted: v.id === s.booted, pending: pending.has(v.id), rollback: rollback.has(v.id) }))
}

/** Deployments whose directory exists but which no boot entry names and are not staged: cleanup's work. */
export const unreferenced = (s: DeploymentsState): DeploymentView[] =>
  Object.values(s.byId).filter((v) => !v.staged && !s.order.includes(v.id))

const viewOf = (d: DeploymentRecord): DeploymentView => ({
  id: deploymentId(d),
  stateroot: d.stateroot,
  checksum: d.checksum,
  serial: d.serial,
  ...(d.bootcsum !== undefined ? { bootcsum: d.bootcsum } : {}),
  ...(d.origin !== undefined ? { origin: d.origin } : {}),
  ...(d.kargs !== undefined ? { kargs: d.kargs } : {}),
  ...(d.version !== undefined ? { version: d.version } : {}),
  pinned: d.pinned,
  staged: d.staged,
  ...(d.stage ? { stage: d.stage } : {}),
})

/** The state a disk snapshot (Adopted, Reconciled) shows: it replaces what the log said. */
export const stateFromSnapshot = (s: DeploymentsState, snap: SysrootSnapshot): DeploymentsState => {
  const views = snap.deployments.map(viewOf)
  const unlisted = (snap.unlisted ?? []).map(viewOf)
  const byId = Object.fromEntries([...views, ...unlisted].map((v) => [v.id, v]))
  // The disk knows the booted deployment only on a booted system; else keep what a boot record said.
  const booted = snap.booted !== undefined ? views[snap.booted]?.id : s.booted !== undefined && s.booted in byId ? s.booted : undefined
  const { booted: _, ...rest } = s
  return {
    ...rest,
    bootversion: snap.bootversion,
    subbootversion: snap.subbootversion,
    order: views.filter((v) => !v.staged).map((v) => v.id),
    byId,
    ...(booted !== undefined ? { booted } : {}),
    pendingUndo: {},
  }
}

