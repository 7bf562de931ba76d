/**
 * `strata status` / `strata admin status`: the deployments as the log's projections say, checked
 * against the disk. Read-only unless they differ:
 *
 * 1. read the log (no lock) — or, when it has not changed since, the fold cached beside it
 *    (status-cache.ts) — and the disk, compare (src/projections/drift.ts);
 * 2. the same → answer from the projections;
 * 3. no log yet, or a difference → take the lock and reconcile (reconcile.ts: adopt, record the
 *    drift, restage a staged deployment /run lost), then answer from the projections;
 * 4. a transaction is running (the log is held open) or was interrupted, or we may not write
 *    (not root) → answer from the disk, and say which transaction is in flight.
 *
 * Kept free of xstate and the machines, and the log's modules (LevelDB, the event schemas) load
 * only when the cache does not answer: status is measured against `ostree admin status`.
 */
import { accessSync, constants, readFileSync } from "node:fs"
import { join } from "node:path"
import { lookup, type Variant, type VarDict } from "../formats/gvariant/index.js"
import type { EventStore } from "../events/store.js"
import type { Drift } from "../events/types/system.js"
import { readCommitObject } from "../io/sysroot/commit-object.js"
import { repoPath } from "../io/sysroot/layout.js"
import { originRefspec } from "../io/sysroot/origin.js"
import { emptyDeployments, listDeployments, stateFromSnapshot, type DeploymentsState, type ListedDeployment } from "../projections/deployment-view.js"
import { driftOf } from "../projections/drift.js"
import type { InflightTxn } from "../projections/inflight.js"
import { readDiskSnapshot } from "./disk-snapshot.js"
import { readStatusCache, writeStatusCache } from "./status-cache.js"
import { layerFacts, layerRequests, type LayerFacts } from "./status-layers.js"
import type { LayerState } from "../io/sysroot/origin-layers.js"

export interface CommitInfo {
  readonly timestamp?: number
  readonly subject?: string
  readonly version?: string
  /** The commit's metadata as JSON values. */
  readonly metadata?: Readonly<Record<string, unknown>>
  /** Set when the commit is a client layer (status-layers.ts). */
  readonly layer?: LayerFacts
}

export interface StatusDeployment extends ListedDeployment {
  readonly refspec?: string
  readonly commit: CommitInfo
  /** The base commit of a client layer (`layer.baseChecksum`); absent otherwise. */
  readonly base?: CommitInfo
  /** What the origin asks for: packages, overrides, initramfs. */
  readonly requests: LayerState
  /** ostree's unlocked state in this boot (run dir only): none, transient, development, hotfix. */
  readonly unlocked?: string
  /** apply-live state in this boot (rpm-ostree's live-replaced / live-inprogress). */
  readonly live?: { readonly commit?: string; readonly inprogress?: string }
}

export interface StatusReport {
  readonly deployments: ReadonlyArray<StatusDeployment>
  /** "log": from the projections (equal to the disk); "disk": read from the disk only (see `note`). */
  readonly source: "log" | "disk"
  readonly note?: string
  /** Transactions started and not finished (running, or interrupted: `strata recover`). */
  readonly inflight: ReadonlyArray<InflightTxn>
  /** What reconciliation just recorded. */
  readonly adopted?: boolean
  readonly drift?: ReadonlyArray<Drift>
  readonly restaged?: ReadonlyArray<string>
}

/** The log's modules, loaded only when the cache does not answer. */
const logModules = async () => {
  const [open, path, inflight, lock, log, reconcile, view] = await Promise.all([
    import("../events/open.js"), import("../events/path.js"), import("../projections/inflight.js"), import("./runtime/lock.js"),
    import("./runtime/log.js"), import("./reconcile.js"), import("./runtime/log-view.js"),
  ])
  return { ...open, ...path, ...lock, ...log, ...reconcile, listInflight: inflight.listInflight, foldLog: (l: EventStore) => view.logView(l) }
}

/** A GVariant value as plain JSON (json-glib's shape: dictionaries as objects, tuples as arrays). */
export const variantToJson = (v: unknown): unknown => {
  if (typeof v === "bigint") return Number(v)
  if (v instanceof Uint8Array) return [...v]
  if (v && typeof v === "object" && "type" in v && "value" in v && typeof (v as Variant).type === "string") {
    const x = v as Variant
    if (x.type.startsWith("a{") && Array.isArray(x.value)) return Object.fromEntries((x.value as Array<[string, unknown]>).map(([k, e]) => [String(k), variantToJson(e)]))
    return variantToJson(x.value)
  }
  if (Array.isArray(v)) return v.map(variantToJson)
  return v
}

const commitInfo = async (repo: string, checksum: string): Promise<CommitInfo> => {
  const c = await readCommitObject(repo, checksum)
  if (!c) return {} // pruned or not pulled: status still lists the deployment
  const version = lookup(c.metadata, "version")
  const layer = layerFacts(c.metadata, c.parent)
  return {
    timestamp: Number(c.timestamp),
    subject: c.subject,
    ...(version && typeof version.value === "string" ? { version: version.value } : {}),
    metadata: variantToJson({ type: "a{sv}", value: c.metadata as VarDict }) as Record<string, unknown>,
    ...(layer ? { layer } : {}),
  }
}

/** The run dir's per-deployment state (src/io/live/state.ts), loaded only on a booted system. */
const runState = async (sysroot: string, runDir: string | undefined) => {
  if (runDir === undefined) return async () => ({})
  const [live, repo] = await Promise.all([import("../io/live/state.js"), import("../io/repo/repo.js")])
  let opened: Awaited<ReturnType<typeof repo.openRepo>> | undefined
  return async (d: { readonly checksum: string; readonly serial: number }) => {
    const unlocked = await live.readUnlocked(runDir, d)
    const hasStamp = await live.hasLiveStamp(runDir, d)
    const state = hasStamp ? await live.readLiveState((opened ??= await repo.openRepo(repoPath(sysroot))), runDir, d) : undefined
    return { ...(unlocked !== "none" ? { unlocked } : {}), ...(state ? { live: state } : {}) }
  }
}

const withCommits = async (sysroot: string, list: ReadonlyArray<ListedDeployment>, runDir?: string): Promise<StatusDeployment[]> => {
  const runStateOf = await runState(sysroot, runDir)
  return Promise.all(
    list.map(async (d) => {
      let refspec: string | undefined
      try {
        refspec = d.origin ? originRefspec(d.origin) : undefined
      } catch {
        refspec = undefined
      }
      const commit = await commitInfo(repoPath(sysroot), d.checksum)
      const base = commit.layer ? await commitInfo(repoPath(sysroot), commit.layer.baseChecksum) : undefined
      return {
        ...d,
        ...(d.version === undefined && commit.version !== undefined ? { version: commit.version } : {}),
        ...(refspec !== undefined ? { refspec } : {}),
        commit,
        ...(base ? { base } : {}),
        requests: layerRequests(d.origin),
        ...(await runStateOf(d)),
      }
    }),
  )
}

/** The disk alone, as a projection state: what an Adopted event of it would fold to. */
const diskState = async (sysroot: string, runDir: string | undefined): Promise<DeploymentsState> => stateFromSnapshot(emptyDeployments, await readDiskSnapshot(sysroot, runDir))

const holder = (sysroot: string): string => {
  try {
    const h = JSON.parse(readFileSync(join(sysroot, "ostree", "strata", "lock-holder.json"), "utf8")) as { pid?: number; kind?: string; argv?: string[] }
    return `${h.kind ?? "a transaction"} (pid ${h.pid ?? "?"}: ${(h.argv ?? []).join(" ")})`
  } catch {
    return "another process"
  }
}

const writable = (sysroot: string): boolean => {
  try {
    accessSync(join(sysroot, "ostree"), constants.W_OK)
    return true
  } catch {
    return false
  }
}

const fromDisk = async (sysroot: string, runDir: string | undefined, note: string, inflight: ReadonlyArray<InflightTxn> = []): Promise<StatusReport> => ({
  deployments: await withCommits(sysroot, listDeployments(await diskState(sysroot, runDir)), runDir),
  source: "disk",
  note,
  inflight,
})

export const readStatus = async (o: { readonly sysroot: string; readonly runDir?: string; readonly onWait?: (m: string) => void }): Promise<StatusReport> => {
  const { sysroot, runDir } = o
  const cached = readStatusCache(sysroot)
  if (cached) {
    const report = driftOf(cached, await readDiskSnapshot(sysroot, runDir), runDir !== undefined)
    if (report.drift.length === 0 && report.restage.length === 0) return { deployments: await withCommits(sysroot, listDeployments(cached), runDir), source: "log", inflight: [] }
  }
  const m = await logModules()
  let state: Awaited<ReturnType<typeof m.foldLog>> | undefined
  try {
    const log = await m.openEventLog(m.eventLogPath(sysroot), { create: false, lockWaitMs: 200 })
    try {
      state = await m.foldLog(log)
    } finally {
      await log.close()
    }
  } catch (e) {
    const reason = (e as { reason?: string }).reason
    if (reason === "Locked") return fromDisk(sysroot, runDir, `a transaction is running: ${holder(sysroot)}`)
    if (reason !== "NotFound") throw e
  }
  const inflight = state ? m.listInflight(state.inflight) : []
  if (inflight.length) return fromDisk(sysroot, runDir, "interrupted transactions are in flight; run `strata recover`", inflight)
  if (state) {
    const report = driftOf(state.deployments, await readDiskSnapshot(sysroot, runDir), runDir !== undefined)
    if (report.drift.length === 0 && report.restage.length === 0) {
      writeStatusCache(sysroot, state.deployments)
      return { deployments: await withCommits(sysroot, listDeployments(state.deployments), runDir), source: "log", inflight: [] }
    }
  }
  if (!writable(sysroot)) return fromDisk(sysroot, runDir, state ? "the disk differs from the event log (run as root to record it)" : "no event log yet (run as root to adopt this sysroot)")
  const lock = await m.lockSysroot(sysroot, { op: "status", holder: { kind: "status", argv: ["strata", "status"] }, ...(o.onWait ? { onWait: o.onWait } : {}) })
  try {
    const log = await m.openSysrootLog(sysroot)
    let after: Awaited<ReturnType<typeof m.foldLog>>
    let r: Awaited<ReturnType<typeof m.reconcileLog>>
    try {
      r = await m.reconcileLog(log, sysroot, runDir)
      after = await m.foldLog(log) // reconcile folded this handle already: only what it appended
    } finally {
      await log.close()
    }
    const rest = m.listInflight(after.inflight)
    if (rest.length === 0) writeStatusCache(sysroot, after.deployments)
    return {
      deployments: await withCommits(sysroot, listDeployments(after.deployments), runDir),
      source: "log",
      inflight: rest,
      ...(r.adopted ? { adopted: true } : {}),
      ...(r.drift.length ? { drift: r.drift } : {}),
      ...(r.restaged.length ? { restaged: r.restaged } : {}),
    }
  } finally {
    await lock.release()
  }
}
