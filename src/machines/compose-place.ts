/**
 * A repository as the place of a transaction (runtime/place.ts): compose locks
 * REPO/extensions/strata/lock (one compose at a time per repo; object writes still take ostree's
 * shared repo lock, and removing a failed compose's objects takes it exclusively, as prune does)
 * and logs to REPO/extensions/strata/log.
 *
 * Contention: as the sysroot lock — say so once through onWait, wait up to STRATA_LOCK_TIMEOUT
 * seconds (default 60), then refuse with reason Locked (exit 6).
 */
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { openEventLog } from "../events/open.js"
import { lockFile } from "../io/repo/syscalls.js"
import { crashOnAppend } from "./runtime/crash.js"
import { TransactionError } from "./runtime/error.js"
import type { TransactionPlace } from "./runtime/place.js"

export const repoStrataDir = (repo: string): string => join(repo, "extensions", "strata")
export const repoLogPath = (repo: string): string => join(repoStrataDir(repo), "log")

const timeoutMs = (given?: number): number => {
  if (given !== undefined) return given
  const env = Number(process.env["STRATA_LOCK_TIMEOUT"])
  return Number.isFinite(env) && env >= 0 ? env * 1000 : 60_000
}

export const repoPlace = (repo: string): TransactionPlace => ({
  path: repo,
  lock: async (opts) => {
    const op = opts.op ?? "lock repo"
    if (!existsSync(join(repo, "config")) || !existsSync(join(repo, "objects"))) {
      throw new TransactionError({ op, reason: "NotFound", detail: "not an OSTree repository (no config/objects; see `strata repo init`)", path: repo })
    }
    mkdirSync(repoStrataDir(repo), { recursive: true })
    const path = join(repoStrataDir(repo), "lock")
    const attempt = async (waitSec: number) => {
      try {
        return await lockFile(path, { exclusive: true, waitSec, op })
      } catch (e) {
        if ((e as { reason?: string }).reason === "Locked") return "busy" as const
        throw e
      }
    }
    let got = await attempt(0)
    if (got === "busy") {
      const ms = timeoutMs(opts.timeoutMs)
      opts.onWait?.(`waiting for the repository's compose lock ${path}, held by another compose; giving up after ${Math.round(ms / 100) / 10}s`)
      got = await attempt(ms / 1000)
      if (got === "busy") throw new TransactionError({ op, reason: "Locked", detail: "another compose holds the repository's lock", path })
    }
    const held = got
    return { path, release: () => held.release() }
  },
  openLog: (opts) =>
    openEventLog(repoLogPath(repo), { create: opts.create ?? true, lockWaitMs: 10_000, onAppend: crashOnAppend, ...(opts.registry ? { registry: opts.registry } : {}) }),
})
