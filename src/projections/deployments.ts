/**
 * The deployments a sysroot has, as the log says: every deployment directory that exists, the
 * boot order the bootloader was last swapped to, the booted one, pins and kernel arguments.
 *
 * Sources: `SysrootInitialized` (empty), `Adopted` and `Reconciled` (the state read from disk),
 * the facts of sysroot transactions (src/events/types/deployment.ts, staging.ts) and
 * `BootRecorded`. Intents change
 * nothing: the disk changes only once a fact is recorded. A transaction that ends aborted or
 * failed never crossed its point of no return, and recovery undid its facts on disk, so the
 * projection takes them back too (it remembers, per open transaction, what each fact replaced).
 */
import type { EventEnvelope } from "../events/envelope.js"
import { Adopted, BootRecorded, Reconciled, SysrootInitialized, type StageInfo } from "../events/types/system.js"
import { DeploymentStaged } from "../events/types/staging.js"
import { TransactionAborted, TransactionCompleted, TransactionFailed } from "../events/types/transaction.js"
import { BootloaderSwapped, CleanupDone, DeploymentRemoved, DeploymentWritten, KargsChanged, PinChanged, type BootListEntry } from "../events/types/deployment.js"
import { txnOf, type Projection } from "./fold.js"
import { deploymentId, emptyDeployments, stateFromSnapshot, type DeploymentView, type DeploymentsState, type Inverse } from "./deployment-view.js"

export * from "./deployment-view.js"

// A copying loop: a computed-key rest (`{ [key]: _, ...rest }`) is a slow runtime call in V8.
const without = <V>(rec: Readonly<Record<string, V>>, key: string): Record<string, V> => {
  const rest: Record<string, V> = {}
  for (const k of Object.keys(rec)) if (k !== key) rest[k] = rec[k]!
  return rest
}

/** Sets (or with `undefined` deletes) one view, remembering the inverse under the event's transaction. */
const put = (s: DeploymentsState, e: EventEnvelope, id: string, view: DeploymentView | undefined): DeploymentsState => {
  const txn = txnOf(e)
  const byId = view ? { ...s.byId, [id]: view } : without(s.byId, id)
  const pendingUndo = txn ? { ...s.pendingUndo, [txn]: [...(s.pendingUndo[txn] ?? []), { id, before: s.byId[id] }] } : s.pendingUndo
  return { ...s, byId, pendingUndo }
}

const settle = (s: DeploymentsState, txn: string | undefined, undo: boolean): DeploymentsState => {
  if (!txn || !(txn in s.pendingUndo)) return s
  let byId = s.byId
  if (undo) {
    const inv = s.pendingUndo[txn]!
    for (let i = inv.length - 1; i >= 0; i--) {
      const { id, before } = inv[i]!
      byId = before ? { ...byId, [id]: before } : without(byId, id)
    }
  }
  // A forgotten deployment cannot stay in the boot order (it never got there before the swap).
  const order = byId === s.byId ? s.order : s.order.filter((id) => id in byId)
  return { ...s, byId, order, pendingUndo: without(s.pendingUndo, txn) }
}

/** The view a `DeploymentWritten` records. */
const writtenView = (e: EventEnvelope<string, Parameters<typeof DeploymentWritten.make>[0]>, id: string): DeploymentView => {
  const d = e.data.deployment
  const txn = txnOf(e)
  return {
    id,
    stateroot: d.stateroot,
    checksum: d.checksum,
    serial: d.serial,
    ...(d.bootcsum !== undefined ? { bootcsum: d.bootcsum } : {}),
    ...(d.origin !== undefined ? { origin: d.origin } : {}),
    ...(e.data.kargs !== undefined ? { kargs: e.data.kargs } : {}),
    ...(e.data.version !== undefined ? { version: e.data.version } : {}),
    pinned: d.pinned,
    staged: d.staged,
    written: { pos: e.pos, at: e.at, ...(txn !== undefined ? { txn } : {}) },
  }
}

/**
 * A deployment in a swapped-in boot list: a staged one is an ordinary one from now on, and the
 * entries written carry the bootcsum and kargs the boot list now has.
 */
const swappedView = (v: DeploymentView, d: BootListEntry): DeploymentView => ({
  ...v,
  staged: false,
  ...(d.bootcsum !== undefined ? { bootcsum: d.bootcsum } : {}),
  ...(d.kargs !== undefined ? { kargs: d.kargs } : {}),
})

/** A deployment written with `--stage` once its state file is in /run. */
const stagedView = (v: DeploymentView, e: EventEnvelope<string, Parameters<typeof DeploymentStaged.make>[0]>): DeploymentView => {
  const stage: StageInfo = {
    ...(e.data.merge ? { merge: e.data.merge } : {}),
    ...(e.data.kargs !== undefined ? { kargs: e.data.kargs } : {}),
    ...(e.data.locked ? { locked: true } : {}),
  }
  return { ...v, staged: true, bootcsum: e.data.deployment.bootcsum, stage }
}

const apply = (state: DeploymentsState, e: EventEnvelope): DeploymentsState => {
  const s = { ...state, pos: e.pos }
  if (SysrootInitialized.is(e)) return { ...emptyDeployments, pos: e.pos }
  if (Adopted.is(e)) return stateFromSnapshot(s, e.data)
  if (Reconciled.is(e)) return e.data.state ? stateFromSnapshot(s, e.data.state) : s
  if (DeploymentWritten.is(e)) {
    const id = deploymentId(e.data.deployment)
    return put(s, e, id, writtenView(e, id))
  }
  if (BootloaderSwapped.is(e)) {
    const order = e.data.deployments.map(deploymentId)
    const listed = new Map(e.data.deployments.map((d) => [deploymentId(d), d]))
    const byId = Object.fromEntries(
      Object.entries(s.byId).map(([id, v]) => {
        const d = listed.get(id)
        return [id, d ? swappedView(v, d) : v]
      }),
    )
    // A staged deployment the list left out is no longer staged (its state file was removed).
    const un = e.data.unstage ? deploymentId(e.data.unstage) : undefined
    if (un !== undefined && byId[un] && !listed.has(un)) {
      const { stage: _, ...v } = byId[un]!
      byId[un] = { ...v, staged: false }
    }
    return { ...s, bootversion: e.data.bootversion, subbootversion: e.data.subbootversion, order, byId }
  }
  if (DeploymentStaged.is(e)) {
    const id = deploymentId(e.data.deployment)
    const v = s.byId[id]
    if (!v) return s
    let next = put(s, e, id, stagedView(v, e))
    const old = e.data.replaces ? deploymentId(e.data.replaces) : undefined
    const prev = old !== undefined && old !== id ? next.byId[old] : undefined
    if (prev) {
      const { stage: _, ...rest } = prev
      next = put(next, e, old!, { ...rest, staged: false })
    }
    return next
  }
  if (CleanupDone.is(e)) {
    let next = s
    for (const d of e.data.deployments ?? []) next = put(next, e, deploymentId(d), undefined)
    return next === s ? state : { ...next, order: next.order.filter((id) => id in next.byId) }
  }
  if (DeploymentRemoved.is(e)) {
    const id = deploymentId(e.data)
    const next = put(s, e, id, undefined)
    return { ...next, order: next.order.filter((x) => x !== id), ...(s.booted === id ? { booted: undefined } : {}) }
  }
  if (PinChanged.is(e)) {
    const id = deploymentId(e.data)
    const v = s.byId[id]
    return v ? put(s, e, id, { ...v, pinned: e.data.pinned }) : s
  }
  if (KargsChanged.is(e)) {
    const id = deploymentId(e.data)
    const v = s.byId[id]
    return v ? put(s, e, id, { ...v, kargs: e.data.kargs }) : s
  }
  if (BootRecorded.is(e)) {
    const name = e.data.deployment
    const found = name === undefined ? undefined : Object.values(s.byId).find((v) => `${v.checksum}.${v.serial}` === name)
    const { booted: _, ...rest } = s
    return found ? { ...rest, booted: found.id } : rest
  }
  if (TransactionCompleted.is(e)) return settle(s, txnOf(e), false)
  if (TransactionAborted.is(e) || TransactionFailed.is(e)) return settle(s, txnOf(e), true)
  return state
}

/** The event types `apply` looks at; any other leaves the state as it is (`pos` included). */
const HANDLED: ReadonlySet<string> = new Set(
  [SysrootInitialized, Adopted, Reconciled, DeploymentWritten, BootloaderSwapped, DeploymentStaged, CleanupDone, DeploymentRemoved, PinChanged, KargsChanged, BootRecorded, TransactionCompleted, TransactionAborted, TransactionFailed].map((d) => d.type),
)

/**
 * `apply` over a batch on private mutable copies (copying `byId` and `pendingUndo` per event was
 * the larger half of a 100k-event replay+fold): the state's `byId` and `pendingUndo` records are
 * copied on the first write of the batch and then updated in place; an inverse list is copied on
 * its first append unless this batch made it. The input state, its records and the events are
 * never written, and the result equals `apply` one event after the other (apply-all.test.ts).
 * Events `apply` ignores are skipped without any copy; `state` itself comes back if nothing
 * changed (an ignored event, or a cleanup that removed nothing, does not even move `pos`).
 */
const applyAll = (state: DeploymentsState, events: ReadonlyArray<EventEnvelope>): DeploymentsState => {
  let touched = false
  let { bootversion, subbootversion, order, byId, pendingUndo, pos } = state
  let booted = state.booted
  let hasBooted = "booted" in state
  let byIdOwned = false
  let undoOwned = false
  const ownedLists = new Set<Inverse[]>()

  const writeById = (): Record<string, DeploymentView> => {
    if (!byIdOwned) (byId = { ...byId }), (byIdOwned = true)
    return byId as Record<string, DeploymentView>
  }
  const writeUndo = (): Record<string, ReadonlyArray<Inverse>> => {
    if (!undoOwned) (pendingUndo = { ...pendingUndo }), (undoOwned = true)
    return pendingUndo as Record<string, ReadonlyArray<Inverse>>
  }
  const setView = (e: EventEnvelope, id: string, view: DeploymentView | undefined): void => {
    const txn = txnOf(e)
    const before = byId[id]
    const w = writeById()
    if (view) w[id] = view
    else delete w[id]
    if (!txn) return
    const list = pendingUndo[txn] as Inverse[] | undefined
    if (list !== undefined && ownedLists.has(list)) list.push({ id, before })
    else {
      const fresh = list === undefined ? [{ id, before }] : [...list, { id, before }]
      writeUndo()[txn] = fresh
      ownedLists.add(fresh)
    }
  }
  /** Replaces the whole state (an empty sysroot, a disk snapshot): nothing of it is ours to write. */
  const load = (next: DeploymentsState): void => {
    ;({ bootversion, subbootversion, order, byId, pendingUndo } = next)
    booted = next.booted
    hasBooted = "booted" in next
    byIdOwned = undoOwned = false
  }
  const current = (): DeploymentsState => ({ bootversion, subbootversion, order, byId, ...(hasBooted ? { booted } : {}), pendingUndo, pos })

  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    if (!HANDLED.has(e.type)) continue
    if (CleanupDone.is(e)) {
      const gone = e.data.deployments ?? []
      if (gone.length === 0) continue
      for (const d of gone) setView(e, deploymentId(d), undefined)
      const left = byId
      order = order.filter((id) => id in left)
    } else if (DeploymentWritten.is(e)) {
      const id = deploymentId(e.data.deployment)
      setView(e, id, writtenView(e, id))
    } else if (BootloaderSwapped.is(e)) {
      const list = e.data.deployments
      const ids = list.map(deploymentId)
      order = ids
      const listed = new Map<string, BootListEntry>()
      for (let j = 0; j < list.length; j++) listed.set(ids[j]!, list[j]!)
      for (const [id, d] of listed) {
        const v = Object.prototype.hasOwnProperty.call(byId, id) ? byId[id] : undefined
        if (v !== undefined) writeById()[id] = swappedView(v, d)
      }
      const un = e.data.unstage ? deploymentId(e.data.unstage) : undefined
      if (un !== undefined && byId[un] && !listed.has(un)) {
        const { stage: _, ...v } = byId[un]!
        writeById()[un] = { ...v, staged: false }
      }
      bootversion = e.data.bootversion
      subbootversion = e.data.subbootversion
    } else if (TransactionCompleted.is(e) || TransactionAborted.is(e) || TransactionFailed.is(e)) {
      const txn = txnOf(e)
      if (txn && txn in pendingUndo) {
        const inv = pendingUndo[txn]!
        if (!TransactionCompleted.is(e) && inv.length > 0) {
          const w = writeById()
          for (let j = inv.length - 1; j >= 0; j--) {
            const { id, before } = inv[j]!
            if (before) w[id] = before
            else delete w[id]
          }
          order = order.filter((id) => id in w)
        }
        delete writeUndo()[txn]
      }
    } else if (SysrootInitialized.is(e)) load(emptyDeployments)
    else if (Adopted.is(e)) load(stateFromSnapshot(current(), e.data))
    else if (Reconciled.is(e)) {
      if (e.data.state) load(stateFromSnapshot(current(), e.data.state))
    } else if (DeploymentStaged.is(e)) {
      const id = deploymentId(e.data.deployment)
      const v = byId[id]
      if (v) {
        setView(e, id, stagedView(v, e))
        const old = e.data.replaces ? deploymentId(e.data.replaces) : undefined
        const prev = old !== undefined && old !== id ? byId[old] : undefined
        if (prev) {
          const { stage: _, ...rest } = prev
          setView(e, old!, { ...rest, staged: false })
        }
      }
    } else if (DeploymentRemoved.is(e)) {
      const id = deploymentId(e.data)
      setView(e, id, undefined)
      order = order.filter((x) => x !== id)
      if (booted === id) (booted = undefined), (hasBooted = true)
    } else if (PinChanged.is(e)) {
      const id = deploymentId(e.data)
      const v = byId[id]
      if (v) setView(e, id, { ...v, pinned: e.data.pinned })
    } else if (KargsChanged.is(e)) {
      const id = deploymentId(e.data)
      const v = byId[id]
      if (v) setView(e, id, { ...v, kargs: e.data.kargs })
    } else if (BootRecorded.is(e)) {
      const name = e.data.deployment
      const found = name === undefined ? undefined : Object.values(byId).find((v) => `${v.checksum}.${v.serial}` === name)
      booted = found?.id
      hasBooted = found !== undefined
    }
    pos = e.pos
    touched = true
  }
  return touched ? current() : state
}

export const deploymentsProjection: Projection<DeploymentsState> = { initial: emptyDeployments, apply, applyAll }

