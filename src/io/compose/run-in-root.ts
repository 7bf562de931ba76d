/**
 * Runs a postprocess script inside the target root with bubblewrap, as rpm-ostree does: the root
 * is `/` (read-write), with fresh /proc, /dev, /tmp and /run; the script itself is bind-mounted
 * read-only under /run so nothing is left in the tree. A script with a `#!` line runs with that
 * interpreter (from the tree); one without runs with the tree's /bin/sh.
 *
 * The tree's packaged files are hardlinks into the import cache, so a script that appends to,
 * truncates or chmods one of them in place would change the cache (and every later compose). The
 * script therefore sees the tree through `rofiles-fuse --copyup`: such a write first replaces the
 * file by a private copy. Without rofiles-fuse, every multiply-linked file of the tree is replaced
 * by a copy before the script runs (correct, and as slow as copying the tree).
 */
import { spawn } from "node:child_process"
import { chmodSync, copyFileSync, constants, lchownSync, lstatSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { composeError } from "./error.js"
import { listAttributesSync, getAttributeSync, setAttributeSync } from "@napi-rs/xattr"
import { rofilesAvailable, scratchMounts } from "../rpm/bwrap-mounts.js"
import { mountRofiles, unmountRofiles } from "../rpm/rofiles.js"

export interface ScriptResult {
  readonly code: number | null
  readonly output: string
}

const MAX_OUTPUT = 64 * 1024

export const runInRoot = async ({ root, script, name, env = {} }: { root: string; script: string; name: string; env?: Readonly<Record<string, string>> }): Promise<ScriptResult> => {
  const dir = mkdtempSync(join(tmpdir(), "strata-postprocess-"))
  let mounted: string | undefined
  try {
    if (rofilesAvailable()) mounted = await mountRofiles(root, join(dir, "root"), { copyup: true })
    else breakHardlinks(root)
    const body = script.startsWith("#!") ? script : `#!/bin/sh\n${script}`
    writeFileSync(join(dir, "script"), body)
    chmodSync(join(dir, "script"), 0o755)
    const args = [
      "--bind", mounted ?? root, "/",
      "--proc", "/proc", "--dev", "/dev", ...scratchMounts(root),
      "--ro-bind", dir, "/run/strata-postprocess",
      "--chdir", "/",
      "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--die-with-parent",
      "--clearenv", "--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "--setenv", "LANG", "C.UTF-8",
      ...Object.entries(env).flatMap(([k, v]) => ["--setenv", k, v]),
      "/run/strata-postprocess/script",
    ]
    return await new Promise<ScriptResult>((resolve, reject) => {
      const child = spawn("bwrap", args, { stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      const take = (b: Buffer): void => {
        if (output.length < MAX_OUTPUT) output += b.toString("utf8")
      }
      child.stdout.on("data", take)
      child.stderr.on("data", take)
      child.on("error", (e) => reject(composeError("compose postprocess", "Unsupported", `cannot run bubblewrap for ${name}: ${e.message}`)))
      child.on("close", (code) => resolve({ code, output }))
    })
  } finally {
    // never a recursive delete while the view may still be mounted: it is the live tree
    if (mounted) await unmountRofiles(mounted)
    rmSync(join(dir, "script"), { force: true })
    for (const d of [join(dir, "root"), dir]) {
      try {
        rmdirSync(d)
      } catch {
        // absent, or a mount we could not undo: left for the admin rather than emptied
      }
    }
  }
}

/** Replaces every regular file with more than one link under `root` by a copy with the same owner, mode, times and xattrs. */
export const breakHardlinks = (root: string): void => {
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      if (!e.isFile()) continue
      const st = lstatSync(p)
      if (st.nlink < 2) continue
      const tmp = `${p}.strata-unlink`
      copyFileSync(p, tmp, constants.COPYFILE_FICLONE)
      // chown clears security.capability: owner and mode first, then the xattrs
      lchownSync(tmp, st.uid, st.gid)
      chmodSync(tmp, st.mode & 0o7777)
      for (const name of listAttributesSync(p)) {
        const v = getAttributeSync(p, name)
        if (v) setAttributeSync(tmp, name, v)
      }
      utimesSync(tmp, st.atime, st.mtime)
      renameSync(tmp, p)
    }
  }
  walk(root)
}

/** Runs a script and fails the compose with its output when it exits non-zero. */
export const runScriptOrFail = async (o: { root: string; script: string; name: string }): Promise<void> => {
  const r = await runInRoot(o)
  if (r.code !== 0) {
    const out = r.output.trim().split("\n").slice(-5).join(" / ")
    throw composeError("compose postprocess", "Invalid", `${o.name} failed (exit ${r.code ?? "signal"})${out ? `: ${out}` : ""}`)
  }
}
