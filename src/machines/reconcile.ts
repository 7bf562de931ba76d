/**
 * Adoption and reconciliation (DESIGN.md "Projections"): the log against the disk, run under
 * the sysroot lock before every sysroot transaction, by `strata recover`, and by `strata status`
 * when it sees a difference.
 *
 * - A sysroot with an empty log (made by `ostree admin`, or strata's log was never written) is
 *   **adopted**: its state, read as ostree reads it, becomes one `Adopted` event.
 * - Otherwise the deployments projection is compared with the disk (src/projections/drift.ts);
 *   any difference (a deployment made or removed by `ostree admin`, a pin changed by hand) is
 *   recorded as one `Reconciled` event holding the differences and the disk's state, which the
 *   projections take from then on.
 * - A staged deployment whose /run state file was lost (a power cut before finalization) is
 *   staged again from what the log recorded, and the `Reconciled` event says so: a staged update
 *   survives a forced power-off and is finalized at the next shutdown.
 */
import { existsSync } from "node:fs"
import type { EventStore } from "../events/store.js"
import { Adopted, Reconciled, SYSTEM_STREAM, type Drift, type SysrootSnapshot } from "../events/types/system.js"
import { deployRoot } from "../io/sysroot/layout.js"
import { stagedStatePath, writeStagedState } from "../io/sysroot/staged.js"
import type { Deployment } from "../io/sysroot/types.js"
import { deploymentId, type DeploymentsState } from "../projections/deployments.js"
import { driftOf } from "../projections/drift.js"
import { logView } from "./runtime/log-view.js"
import { readDiskSnapshot } from "./disk-snapshot.js"

export { readDiskSnapshot }

export interface ReconcileResult {
  readonly adopted: boolean
  readonly drift: ReadonlyArray<Drift>
  /** Staged deployments whose state file was written again. */
  readonly restaged: ReadonlyArray<string>
  /** The log's position after reconciling. */
  readonly pos: number
}

/** Without the run directory the disk cannot say what is staged: keep what the log says. */
const keepStaged = (snap: SysrootSnapshot, p: DeploymentsState): SysrootSnapshot => ({
  ...snap,
  ...(snap.unlisted
    ? {
        unlisted: snap.unlisted.map((d) => {
          const v = p.byId[deploymentId(d)]
          return v?.staged ? { ...d, staged: true, ...(v.stage ? { stage: v.stage } : {}) } : d
        }),
      }
    : {}),
})

/** With the lock held and the log open: adopt, or compare and record; restage what /run lost. */
export const reconcileLog = async (log: EventStore, sysroot: string, runDir?: string): Promise<ReconcileResult> => {
  // Not a sysroot yet (init-fs is about to make one): nothing to compare.
  if (!existsSync(deployRoot(sysroot))) return { adopted: false, drift: [], restaged: [], pos: log.head().pos }
  const snap = await readDiskSnapshot(sysroot, runDir)
  if (log.head().pos === 0) {
    const r = await log.append(SYSTEM_STREAM, "any", [Adopted.make(snap)], { sync: true })
    return { adopted: true, drift: [], restaged: [], pos: r.head.pos }
  }
  // Recovery folded the log a moment ago on this handle: this reads only what it appended.
  const p = (await logView(log)).deployments
  const report = driftOf(p, snap, runDir !== undefined)
  const restaged: string[] = []
  const notes: Drift[] = []
  for (const v of runDir ? report.restage : []) {
    const stage = v.stage ?? {}
    const asDeployment = (r: { stateroot: string; checksum: string; serial: number; bootcsum?: string }, kargs = ""): Deployment => ({
      stateroot: r.stateroot, checksum: r.checksum, serial: r.serial, bootcsum: r.bootcsum ?? "", bootserial: -1, index: -1, origin: "", kargs, pinned: false,
    })
    await writeStagedState({
      runDir: runDir!,
      deployment: asDeployment(v, stage.kargs),
      ...(stage.merge ? { mergeFrom: asDeployment(stage.merge) } : {}),
      ...(stage.locked ? { locked: true } : {}),
    })
    restaged.push(v.id)
    notes.push({ kind: "restaged", path: stagedStatePath(runDir!), detail: `${v.id} was staged but its state file was gone (lost with /run?); staged it again` })
  }
  if (report.drift.length === 0 && notes.length === 0) return { adopted: false, drift: [], restaged, pos: log.head().pos }
  const seen = notes.length ? await readDiskSnapshot(sysroot, runDir) : snap
  const state = report.drift.length ? (runDir ? seen : keepStaged(seen, p)) : undefined
  const r = await log.append(SYSTEM_STREAM, "any", [Reconciled.make({ drift: [...report.drift, ...notes], ...(state ? { state } : {}) })], { sync: true })
  return { adopted: false, drift: report.drift, restaged, pos: r.head.pos }
}
