/**
 * One transaction at a time per sysroot: an exclusive lock on `<sysroot>/ostree/lock`, the file
 * ostree's own `ostree admin` commands lock (OSTREE_SYSROOT_LOCKFILE), taken the way ostree takes
 * it — an open-file-description fcntl lock (src/io/repo/syscalls.ts lockFile), which flock(2)
 * would not see — so strata and ostree exclude each other as well.
 *
 * Contention (documented behaviour, see src/machines/README.md): a second caller first tries
 * without waiting; if the lock is held it says so once through `onWait` (the CLI prints it on
 * stderr, naming the holder when strata holds it), then waits up to `timeoutMs` (default 60 s,
 * or STRATA_LOCK_TIMEOUT seconds). Past that it is refused with a TransactionError of reason
 * "Locked": exit code 6.
 *
 * The lock lives in a helper process that holds it while our pipe to it stays open, so it goes
 * away with us even on SIGKILL: the kernel closes the pipe, the helper exits, the lock drops.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { lockFile, type FileLock } from "../../io/repo/syscalls.js"
import { TransactionError } from "./error.js"

export interface SysrootLock {
  readonly path: string
  readonly release: () => Promise<void>
}

export interface LockOptions {
  /** How long to wait for another holder; default STRATA_LOCK_TIMEOUT (s) or 60 s. */
  readonly timeoutMs?: number
  /** Told once, before waiting, that the lock is held (and by whom, if known). */
  readonly onWait?: (message: string) => void
  /** Who we are, shown to callers waiting for us. */
  readonly holder?: { readonly kind: string; readonly argv: ReadonlyArray<string> }
  /** For error messages: "run deploy", "recover". */
  readonly op?: string
}

export const sysrootLockPath = (sysroot: string): string => join(sysroot, "ostree", "lock")

/** Informational only (never trusted for exclusion): who holds the lock, for the wait message. */
const holderPath = (sysroot: string): string => join(sysroot, "ostree", "strata", "lock-holder.json")

/** One attempt: the lock, or "busy" when another holder kept it for `waitSec`. */
const attempt = async (path: string, waitSec: number, op: string): Promise<FileLock | "busy"> => {
  try {
    return await lockFile(path, { exclusive: true, waitSec, op })
  } catch (e) {
    const err = e as { reason?: string; detail?: string; message?: string }
    if (err.reason === "Locked") return "busy"
    // The helper's own failure (no such directory, read-only, …), as the runtime's error.
    const reason = err.reason === "NotFound" || /No such file/.test(err.detail ?? "") ? "NotFound" : /Permission denied|Read-only/.test(err.detail ?? "") ? "PermissionDenied" : "Io"
    throw new TransactionError({ op, reason, detail: err.detail ?? err.message ?? String(e), path })
  }
}

const describeHolder = (sysroot: string): string => {
  try {
    const h = JSON.parse(readFileSync(holderPath(sysroot), "utf8")) as { pid?: number; kind?: string; argv?: string[] }
    if (typeof h.pid === "number") {
      process.kill(h.pid, 0) // throws if that process is gone: the file is stale
      return ` by pid ${h.pid} (${h.kind ?? "?"}: ${(h.argv ?? []).join(" ")})`
    }
  } catch {
    // No (live) strata holder recorded: ostree, or strata without a record.
  }
  return " by another process"
}

const defaultTimeoutMs = (): number => {
  const env = Number(process.env["STRATA_LOCK_TIMEOUT"])
  return Number.isFinite(env) && env >= 0 ? env * 1000 : 60_000
}

export const lockSysroot = async (sysroot: string, opts: LockOptions = {}): Promise<SysrootLock> => {
  const op = opts.op ?? "lock sysroot"
  const path = sysrootLockPath(sysroot)
  if (!existsSync(join(sysroot, "ostree"))) {
    throw new TransactionError({ op, reason: "NotFound", detail: "not a sysroot (no ostree/ directory; see `strata admin init-fs`)", path: sysroot })
  }
  let got = await attempt(path, 0, op)
  if (got === "busy") {
    const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs()
    const secs = Math.round(timeoutMs / 100) / 10
    opts.onWait?.(`waiting for the sysroot lock ${path}, held${describeHolder(sysroot)}; giving up after ${secs}s`)
    got = await attempt(path, timeoutMs / 1000, op)
    if (got === "busy") {
      throw new TransactionError({ op, reason: "Locked", detail: `the sysroot is locked by another transaction (waited ${secs}s)`, path })
    }
  }
  const held = got
  if (opts.holder) {
    try {
      mkdirSync(join(sysroot, "ostree", "strata"), { recursive: true })
      writeFileSync(holderPath(sysroot), JSON.stringify({ pid: process.pid, kind: opts.holder.kind, argv: opts.holder.argv }))
    } catch {
      // Only a courtesy for waiters.
    }
  }
  let released: Promise<void> | undefined
  return {
    path,
    release: () =>
      (released ??= (async () => {
        if (opts.holder) rmSync(holderPath(sysroot), { force: true })
        await held.release()
      })()),
  }
}
