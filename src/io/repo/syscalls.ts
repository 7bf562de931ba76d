/**
 * The few syscalls Node does not expose, reached through small helper processes with the same
 * semantics: syncfs (`sync -f`) and OFD locks (perl's fcntl). Each costs one short-lived
 * process, paid once per transaction, never per object.
 */
import { spawn } from "node:child_process"
import { accessSync, constants } from "node:fs"
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

/*
 * ostree (through libglnx) locks `repo/.lock` and `ostree/lock` with Linux open-file-description
 * locks (fcntl F_OFD_SETLK), which flock(2) does not see. To exclude ostree as well as ourselves we
 * take the same kind of lock, from a helper process (Node has no fcntl): perl, which Debian ships
 * as an Essential package. The helper holds the lock while our pipe to it stays open, so it drops
 * with us even on SIGKILL. Without perl we fall back to flock(1): strata processes still exclude
 * each other, but not ostree.
 */
const OFD_SCRIPT = String.raw`
use strict; use Fcntl;
my ($path, $excl, $wait) = @ARGV;
my $fh;
sysopen($fh, $path, O_RDWR|O_CREAT, 0600) or sysopen($fh, $path, O_RDONLY) or do { print "error open: $!\n"; exit 2 };
my $lk = pack("s s x4 q q l x4", $excl ? F_WRLCK : F_RDLCK, 0, 0, 0, 0);
my $deadline = time + $wait;
until (fcntl($fh, 37, $lk)) {
  if ($!{EINVAL}) { flock($fh, $excl ? 2 : 1) or exit 3; last }
  if (time >= $deadline) { print "busy\n"; exit 75 }
  select(undef, undef, undef, 0.02);
}
$| = 1; print "locked\n"; while (<STDIN>) {}
`

let havePerl: boolean | undefined
const perlAvailable = (): boolean => {
  if (havePerl === undefined) {
    havePerl = ["/usr/bin/perl", "/bin/perl"].some((p) => {
      try {
        accessSync(p, constants.X_OK)
        return true
      } catch {
        return false
      }
    })
  }
  return havePerl
}

export interface LockFileOptions {
  readonly exclusive: boolean
  /** Seconds to wait for another holder; 0 = try once. Default 30. */
  readonly waitSec?: number
  readonly op: string
}

/**
 * Takes a shared or exclusive lock on `path` (created if missing), the kind ostree takes.
 * Fails with reason "Locked" if another holder keeps it past `waitSec`.
 */
export const lockFile = (path: string, opts: LockFileOptions): Promise<FileLock> =>
  new Promise((resolve, reject) => {
    const wait = opts.waitSec ?? 30
    const [cmd, args] = perlAvailable()
      ? ["perl", ["-e", OFD_SCRIPT, path, opts.exclusive ? "1" : "0", String(wait)]]
      : ["flock", [opts.exclusive ? "-x" : "-s", "-E", "75", "-w", String(wait || 0.01), path, "sh", "-c", "echo locked; exec cat >/dev/null"]]
    const p = spawn(cmd, args as string[], { stdio: ["pipe", "pipe", "ignore"] })
    let out = ""
    let settled = false
    p.on("error", (e) => reject(new RepoError({ op: opts.op, path, reason: "Io", detail: `lock helper: ${e.message}` })))
    p.stdout.on("data", (b: Buffer) => {
      out += b.toString()
      if (settled || !out.includes("\n")) return
      settled = true
      if (!out.startsWith("locked")) return // the exit handler reports it
      p.stdout.destroy()
      const exited = new Promise<void>((res) => p.once("exit", () => res()))
      let released: Promise<void> | undefined
      resolve({ release: () => (released ??= (p.stdin.end(), exited)) })
    })
    p.on("exit", (code) => {
      if (out.startsWith("locked")) return
      if (code === 75 || out.startsWith("busy")) {
        reject(new RepoError({ op: opts.op, path, reason: "Locked", detail: `locked by another process (waited ${wait}s)` }))
      } else reject(new RepoError({ op: opts.op, path, reason: "Io", detail: `could not lock: ${out.trim() || `helper exited ${code}`}` }))
    })
  })

/** The repo lock (`repo/.lock`): shared for writers and readers, exclusive for prune/summary. */
export const flock = (path: string, opts: { exclusive: boolean; timeoutSec?: number; op: string }): Promise<FileLock> =>
  lockFile(path, { exclusive: opts.exclusive, waitSec: opts.timeoutSec ?? 30, op: opts.op })
