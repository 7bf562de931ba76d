/**
 * One transaction at a time per sysroot: an exclusive flock(2) on `<sysroot>/ostree/lock`, the
 * file ostree's own `ostree admin` commands lock (OSTREE_SYSROOT_LOCKFILE), so strata and ostree
 * exclude each other as well.
 *
 * Contention (documented behaviour, see src/machines/README.md): a second caller first tries
 * without waiting; if the lock is held it says so once through `onWait` (the CLI prints it on
 * stderr, naming the holder when strata holds it), then waits up to `timeoutMs` (default 60 s,
 * or STRATA_LOCK_TIMEOUT seconds). Past that it is refused with a TransactionError of reason
 * "Locked": exit code 6.
 *
 * The lock lives in a helper `flock` process that holds it while our pipe to it stays open, so
 * it goes away with us even on SIGKILL: the kernel closes the pipe, the helper exits, the lock
 * drops. (Node has no flock; the same helper pattern as src/io/repo/syscalls.ts.)
 */
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
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

const BUSY = 75 // flock -E: exit code when the lock is held (EX_TEMPFAIL)

type Attempt = { readonly held: ChildProcess } | { readonly busy: true }

const attempt = (path: string, waitSec: number | undefined, op: string): Promise<Attempt> =>
  new Promise((resolve, reject) => {
    const mode = waitSec === undefined ? ["-n"] : ["-w", String(waitSec)]
    const p = spawn("flock", ["-x", "-E", String(BUSY), ...mode, path, "sh", "-c", "echo locked; exec cat >/dev/null"], { stdio: ["pipe", "pipe", "pipe"] })
    let stderr = ""
    let acquired = false
    p.stderr!.on("data", (b: Buffer) => (stderr += b.toString()))
    p.on("error", (e) => reject(new TransactionError({ op, reason: "Io", detail: `flock: ${e.message}`, path })))
    p.stdout!.once("data", () => {
      acquired = true
      p.stdout!.destroy()
      p.stderr!.destroy()
      // Holding the lock must not keep the process alive; exiting closes the pipe and drops it.
      p.unref()
      ;(p.stdin as unknown as { unref?: () => void }).unref?.()
      resolve({ held: p })
    })
    p.on("exit", (code) => {
      if (acquired) return
      if (code === BUSY) resolve({ busy: true })
      else {
        const reason = /No such file/.test(stderr) ? "NotFound" : /Permission denied|Read-only/.test(stderr) ? "PermissionDenied" : "Io"
        reject(new TransactionError({ op, reason, detail: `flock exited ${code}: ${stderr.trim()}`, path }))
      }
    })
  })

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
  let got = await attempt(path, undefined, op)
  if ("busy" in got) {
    const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs()
    const secs = Math.round(timeoutMs / 100) / 10
    opts.onWait?.(`waiting for the sysroot lock ${path}, held${describeHolder(sysroot)}; giving up after ${secs}s`)
    got = await attempt(path, timeoutMs / 1000, op)
    if ("busy" in got) {
      throw new TransactionError({ op, reason: "Locked", detail: `the sysroot is locked by another transaction (waited ${secs}s)`, path })
    }
  }
  const helper = got.held
  if (opts.holder) {
    try {
      mkdirSync(join(sysroot, "ostree", "strata"), { recursive: true })
      writeFileSync(holderPath(sysroot), JSON.stringify({ pid: process.pid, kind: opts.holder.kind, argv: opts.holder.argv }))
    } catch {
      // Only a courtesy for waiters.
    }
  }
  const exited = new Promise<void>((res) => (helper.exitCode !== null ? res() : helper.once("exit", () => res())))
  let released: Promise<void> | undefined
  return {
    path,
    release: () =>
      (released ??= (async () => {
        if (opts.holder) rmSync(holderPath(sysroot), { force: true })
        helper.ref() // keep the process alive until the helper has really let go
        helper.stdin!.end()
        await exited
      })()),
  }
}
