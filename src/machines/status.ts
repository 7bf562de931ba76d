/**
 * `strata status` / `strata admin status`: the deployments as the log's projections say, checked
 * against the disk. Read-only unless they differ:
 *
 * 1. read the log (no lock) and the disk, compare (src/projections/drift.ts);
 * 2. the same → answer from the projections;
 * 3. no log yet, or a difference → take the lock and reconcile (reconcile.ts: adopt, record the
 *    drift, restage a staged deployment /run lost), then answer from the projections;
 * 4. a transaction is running (the log is held open) or was interrupted, or we may not write
 *    (not root) → answer from the disk, and say which transaction is in flight.
 *
 * Kept free of xstate and the machines: status is measured against `ostree admin status`.
 */
import { accessSync, constants, readFileSync } from "node:fs"
import { join } from "node:path"
import { lookup, type Variant, type VarDict } from "../formats/gvariant/index.js"
import { openEventLog } from "../events/open.js"
import { eventLogPath } from "../events/path.js"
import type { EventStore } from "../events/store.js"
import { Adopted, type Drift } from "../events/types/system.js"
import { loadCommit } from "../io/repo/object-read.js"
import { openRepo, type Repo } from "../io/repo/repo.js"
import { repoPath } from "../io/sysroot/layout.js"
import { originRefspec } from "../io/sysroot/origin.js"
import { combine, foldAsync } from "../projections/fold.js"
import { deploymentsProjection, listDeployments, type DeploymentsState, type ListedDeployment } from "../projections/deployments.js"
import { driftOf } from "../projections/drift.js"
import { inflightProjection, listInflight, type InflightTxn } from "../projections/inflight.js"
import { lockSysroot } from "./runtime/lock.js"
import { openSysrootLog } from "./runtime/log.js"
import { readDiskSnapshot, reconcileLog } from "./reconcile.js"

export interface CommitInfo {
  readonly timestamp?: number
  readonly subject?: string
  readonly version?: string
  /** The commit's metadata as JSON values. */
  readonly metadata?: Readonly<Record<string, unknown>>
}

export interface StatusDeployment extends ListedDeployment {
  readonly refspec?: string
  readonly commit: CommitInfo
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

const folded = combine({ deployments: deploymentsProjection, inflight: inflightProjection })

const foldLog = async (log: EventStore) => foldAsync(folded, log.readAll())

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

const commitInfo = async (repo: Repo | undefined, checksum: string): Promise<CommitInfo> => {
  if (!repo) return {}
  try {
    const c = await loadCommit(repo, checksum)
    const version = lookup(c.metadata, "version")
    return {
      timestamp: Number(c.timestamp),
      subject: c.subject,
      ...(version && typeof version.value === "string" ? { version: version.value } : {}),
      metadata: variantToJson({ type: "a{sv}", value: c.metadata as VarDict }) as Record<string, unknown>,
    }
  } catch {
    return {} // pruned or not pulled: status still lists the deployment
  }
}

const withCommits = async (sysroot: string, list: ReadonlyArray<ListedDeployment>): Promise<StatusDeployment[]> => {
  const repo = await openRepo(repoPath(sysroot)).catch(() => undefined)
  return Promise.all(
    list.map(async (d) => {
      let refspec: string | undefined
      try {
        refspec = d.origin ? originRefspec(d.origin) : undefined
      } catch {
        refspec = undefined
      }
      const commit = await commitInfo(repo, d.checksum)
      return { ...d, ...(d.version === undefined && commit.version !== undefined ? { version: commit.version } : {}), ...(refspec !== undefined ? { refspec } : {}), commit }
    }),
  )
}

/** The disk alone, as a projection state: what an Adopted event of it would fold to. */
const diskState = async (sysroot: string, runDir: string | undefined): Promise<DeploymentsState> => {
  const snap = await readDiskSnapshot(sysroot, runDir)
  const e = { type: Adopted.type, v: 1, stream: "system", seq: 1, pos: 1, at: new Date().toISOString(), data: snap, prev: "" }
  return deploymentsProjection.apply(deploymentsProjection.initial, e as never)
}

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
  deployments: await withCommits(sysroot, listDeployments(await diskState(sysroot, runDir))),
  source: "disk",
  note,
  inflight,
})

export const readStatus = async (o: { readonly sysroot: string; readonly runDir?: string; readonly onWait?: (m: string) => void }): Promise<StatusReport> => {
  const { sysroot, runDir } = o
  let state: Awaited<ReturnType<typeof foldLog>> | undefined
  try {
    const log = await openEventLog(eventLogPath(sysroot), { create: false, lockWaitMs: 200 })
    try {
      state = await foldLog(log)
    } finally {
      await log.close()
    }
  } catch (e) {
    const reason = (e as { reason?: string }).reason
    if (reason === "Locked") return fromDisk(sysroot, runDir, `a transaction is running: ${holder(sysroot)}`)
    if (reason !== "NotFound") throw e
  }
  const inflight = state ? listInflight(state.inflight) : []
  if (inflight.length) return fromDisk(sysroot, runDir, "interrupted transactions are in flight; run `strata recover`", inflight)
  if (state) {
    const report = driftOf(state.deployments, await readDiskSnapshot(sysroot, runDir), runDir !== undefined)
    if (report.drift.length === 0 && report.restage.length === 0) {
      return { deployments: await withCommits(sysroot, listDeployments(state.deployments)), source: "log", inflight: [] }
    }
  }
  if (!writable(sysroot)) return fromDisk(sysroot, runDir, state ? "the disk differs from the event log (run as root to record it)" : "no event log yet (run as root to adopt this sysroot)")
  const lock = await lockSysroot(sysroot, { op: "status", holder: { kind: "status", argv: ["strata", "status"] }, ...(o.onWait ? { onWait: o.onWait } : {}) })
  try {
    const log = await openSysrootLog(sysroot)
    try {
      const r = await reconcileLog(log, sysroot, runDir)
      const after = await foldLog(log)
      return {
        deployments: await withCommits(sysroot, listDeployments(after.deployments)),
        source: "log",
        inflight: listInflight(after.inflight),
        ...(r.adopted ? { adopted: true } : {}),
        ...(r.drift.length ? { drift: r.drift } : {}),
        ...(r.restaged.length ? { restaged: r.restaged } : {}),
      }
    } finally {
      await log.close()
    }
  } finally {
    await lock.release()
  }
}
