/**
 * Shared fixtures for the `strata repo` command tests: a small input tree exercising every entry
 * kind, repos with some history written by the real ostree, byte flipping, and a runner that
 * returns the exit status instead of throwing.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { sh, strata, type RunResult } from "./tmp.js"

export type Mode = "bare" | "bare-user" | "bare-user-only" | "archive"
export const MODES: ReadonlyArray<Mode> = ["bare", "bare-user", "bare-user-only", "archive"]

/** Runs any tool; never throws on a non-zero exit. */
export const run = (cmd: string, args: ReadonlyArray<string>): RunResult => {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

export const ostree = (repo: string, ...args: string[]): RunResult => run("ostree", [`--repo=${repo}`, ...args])
export const srepo = (repo: string, ...args: string[]): RunResult => strata(["repo", `--repo=${repo}`, ...args])

/** Deterministic pseudo-random bytes (incompressible, with NULs and high bytes). */
export const noise = (n: number, seed = 1): Buffer => {
  const out = Buffer.alloc(n)
  let x = seed
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/**
 * Every kind of entry a commit holds: plain and executable files, a binary file with NULs, a
 * file with user xattrs, absolute and relative symlinks, an empty directory, nested
 * directories, a name needing quoting. Modes stay within 0775 so bare-user-only can hold it.
 */
export const makeTree = (dir: string, xattrs = true): string => {
  mkdirSync(join(dir, "sub/deeper"), { recursive: true })
  mkdirSync(join(dir, "empty"))
  mkdirSync(join(dir, "d2"))
  writeFileSync(join(dir, "a.txt"), "hello\n")
  writeFileSync(join(dir, "sub/run.sh"), "#!/bin/sh\necho hi\n")
  chmodSync(join(dir, "sub/run.sh"), 0o755)
  writeFileSync(join(dir, "sub/deeper/leaf"), "leaf\n")
  writeFileSync(join(dir, "d2/bin.dat"), noise(70000))
  writeFileSync(join(dir, "it's here"), "quote\n")
  symlinkSync("a.txt", join(dir, "link"))
  symlinkSync("/sub/run.sh", join(dir, "abslink"))
  if (xattrs) {
    sh("setfattr", ["-n", "user.foo", "-v", "bar", join(dir, "a.txt")])
    sh("setfattr", ["-n", "user.bin", "-v", "0x00ff01", join(dir, "sub/run.sh")])
  }
  return dir
}

/** Changes the tree for a second commit: modified, removed, added and a new directory. */
export const evolveTree = (dir: string): void => {
  writeFileSync(join(dir, "a.txt"), "changed\n")
  spawnSync("rm", ["-rf", join(dir, "d2"), join(dir, "link")])
  writeFileSync(join(dir, "sub/new"), "new\n")
  mkdirSync(join(dir, "added/inner"), { recursive: true })
  writeFileSync(join(dir, "added/inner/f"), "f\n")
  chmodSync(join(dir, "empty"), 0o700)
}

export interface History {
  readonly repo: string
  /** Oldest first: c1 (main^), c2 (main), and `other` (a branch from c1's tree). */
  readonly c1: string
  readonly c2: string
  readonly other: string
}

/** A repo in `mode` with main = c1 ← c2 and branch other, committed by the real ostree. */
export const ostreeHistory = (dir: string, mode: Mode): History => {
  const repo = join(dir, `ostree-${mode}`)
  const tree = makeTree(join(dir, `tree-${mode}`), mode !== "bare-user-only")
  ostree(repo, "init", `--mode=${mode}`)
  const commit = (...args: string[]): string => {
    const r = ostree(repo, "commit", `--tree=dir=${tree}`, ...args)
    if (r.status !== 0) throw new Error(`ostree commit: ${r.stderr}`)
    return r.stdout.trim()
  }
  const c1 = commit("-b", "main", "-s", "first", "--add-metadata-string=version=1.0", "--timestamp=2024-01-02 03:04:05")
  const other = commit("-b", "other", "-s", "", "-m", "\n\npara\n  indented\n", "--add-metadata-string=version=7",
    "--add-metadata=n=uint64 5", "--add-metadata=y=b'ab'", "--add-metadata=d=1.5", "--add-metadata=s='it\\'s'", "--timestamp=2024-03-01 00:00:00")
  evolveTree(tree)
  const c2 = commit("-b", "main", "-s", "second", "-m", "a body\nline two", "--timestamp=2024-06-01 12:00:00")
  return { repo, c1, c2, other }
}

/** All loose object files of a repo, relative to objects/, by extension. */
export const objectFiles = (repo: string, ext?: string): string[] =>
  readdirSync(join(repo, "objects"))
    .filter((p) => /^[0-9a-f]{2}$/.test(p))
    .flatMap((p) => readdirSync(join(repo, "objects", p)).map((n) => `${p}/${n}`))
    .filter((n) => !ext || n.endsWith(`.${ext}`))
    .sort()

/**
 * Flips one bit of a byte in the middle of a file (or at `at`), in place. A file with other
 * hardlinks (local pulls link objects between repos) is first replaced by a copy keeping its
 * mode, owner and xattrs, so only this repo is damaged.
 */
export const flipByte = (path: string, at?: number): void => {
  if (statSync(path).nlink > 1) {
    sh("cp", ["-a", path, `${path}.unshare`])
    sh("mv", ["-f", `${path}.unshare`, path])
  }
  const b = readFileSync(path)
  const i = at ?? Math.floor(b.length / 2)
  b[i] = b[i]! ^ 1
  writeFileSync(path, b)
}

export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex")

/** Copies a repo (cp -a keeps ownership, modes and xattrs). */
export const copyRepo = (from: string, to: string): string => {
  sh("cp", ["-a", from, to])
  return to
}
