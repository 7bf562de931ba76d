/**
 * What `strata status` folded last, kept beside the log (`ostree/strata/status-cache.json`) with a
 * fingerprint of the log's LevelDB files (names, sizes, mtimes; not the info log or the lock), so
 * a status while nothing was appended needs neither LevelDB nor the event schemas — start-up
 * time is what status is measured on against `ostree admin status`.
 *
 * Any append changes the write-ahead file, and opening the log rewrites it, so a fingerprint can
 * only be stale-safe: a mismatch means "fold again". The cache is only a shortcut: status still
 * compares it with the disk, and any difference takes the full path (fold, reconcile).
 */
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { eventLogPath } from "../events/path.js"
import type { DeploymentsState } from "../projections/deployment-view.js"

const FILE = "status-cache.json"
const VERSION = 1

const cachePath = (sysroot: string): string => join(sysroot, "ostree", "strata", FILE)

/** The log's files as they are now; undefined when there is no log. */
export const logFingerprint = (sysroot: string): string | undefined => {
  const dir = eventLogPath(sysroot)
  try {
    return readdirSync(dir)
      .filter((n) => n !== "LOG" && n !== "LOG.old" && n !== "LOCK")
      .sort()
      .map((n) => {
        const st = statSync(join(dir, n))
        return `${n}:${st.size}:${st.mtimeMs}`
      })
      .join("|")
  } catch {
    return undefined
  }
}

/** The cached deployments state, if the log has not changed since it was written. */
export const readStatusCache = (sysroot: string): DeploymentsState | undefined => {
  try {
    const c = JSON.parse(readFileSync(cachePath(sysroot), "utf8")) as { v?: number; key?: string; deployments?: DeploymentsState }
    const key = logFingerprint(sysroot)
    return c.v === VERSION && key !== undefined && c.key === key ? c.deployments : undefined
  } catch {
    return undefined
  }
}

/** Records a fold; call after the log is closed (opening it changes the fingerprint). Best effort. */
export const writeStatusCache = (sysroot: string, deployments: DeploymentsState): void => {
  const key = logFingerprint(sysroot)
  if (key === undefined) return
  const path = cachePath(sysroot)
  try {
    writeFileSync(`${path}.tmp`, JSON.stringify({ v: VERSION, key, deployments }))
    renameSync(`${path}.tmp`, path)
  } catch {
    // Not writable (not root): status just folds every time.
  }
}
