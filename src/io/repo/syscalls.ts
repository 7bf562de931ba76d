/**
 * The few syscalls Node does not expose, reached through coreutils/util-linux with the same
 * semantics: syncfs (`sync -f`) and flock (`flock`). Each costs one short-lived process, paid
 * once per transaction, never per object.
 */
import { spawn } from "node:child_process"
import { RepoError } from "./error.js"

/** syncfs(2) on the filesystem holding `path`: one flush for a whole transaction. */
export const syncfs = (path: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const p = spawn("sync", ["-f", path], { stdio: "ignore" })
    p.on("error", (e) => reject(new RepoError({ op: "syncfs", path, reason: "Io", detail: e.message })))
    p.on("exit", (code) =>
      code === 0 ? resolve() : reject(new RepoError({ op: "syncfs", path, reason: "Io", detail: `sync -f exited ${code}` })))
  })

export interface FileLock {
  readonly release: () => Promise<void>
}

/**
 * flock(2) on `path`, shared or exclusive — the same lock ostree takes on `repo/.lock`, so strata
 * and ostree exclude each other. A helper process holds the lock while its stdin stays open: if
 * we die (even by SIGKILL), the pipe closes, the helper exits and the kernel drops the lock.
 */
export const flock = (path: string, opts: { exclusive: boolean; timeoutSec?: number; op: string }): Promise<FileLock> =>
  new Promise((resolve, reject) => {
    const args = [opts.exclusive ? "-x" : "-s", "-w", String(opts.timeoutSec ?? 30), path, "sh", "-c", "echo locked; exec cat >/dev/null"]
    const p = spawn("flock", args, { stdio: ["pipe", "pipe", "ignore"] })
    let done = false
    p.on("error", (e) => reject(new RepoError({ op: opts.op, path, reason: "Io", detail: `flock: ${e.message}` })))
    p.stdout.once("data", () => {
      done = true
      p.stdout.destroy()
      const exited = new Promise<void>((res) => p.once("exit", () => res()))
      let released: Promise<void> | undefined
      resolve({
        release: () => (released ??= (p.stdin.end(), exited)),
      })
    })
    p.on("exit", (code) => {
      if (!done) reject(new RepoError({ op: opts.op, path, reason: "Locked", detail: `repository is locked by another process (waited ${opts.timeoutSec ?? 30}s)` }))
    })
  })
