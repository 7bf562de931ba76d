/**
 * Runs a postprocess script inside the target root with bubblewrap, as rpm-ostree does: the root
 * is `/` (read-write), with fresh /proc, /dev, /tmp and /run; the script itself is bind-mounted
 * read-only under /run so nothing is left in the tree. A script with a `#!` line runs with that
 * interpreter (from the tree); one without runs with the tree's /bin/sh.
 */
import { spawn } from "node:child_process"
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { composeError } from "./error.js"
import { scratchMounts } from "../rpm/bwrap-mounts.js"

export interface ScriptResult {
  readonly code: number | null
  readonly output: string
}

const MAX_OUTPUT = 64 * 1024

export const runInRoot = async ({ root, script, name, env = {} }: { root: string; script: string; name: string; env?: Readonly<Record<string, string>> }): Promise<ScriptResult> => {
  const dir = mkdtempSync(join(tmpdir(), "strata-postprocess-"))
  try {
    const body = script.startsWith("#!") ? script : `#!/bin/sh\n${script}`
    writeFileSync(join(dir, "script"), body)
    chmodSync(join(dir, "script"), 0o755)
    const args = [
      "--bind", root, "/",
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
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs a script and fails the compose with its output when it exits non-zero. */
export const runScriptOrFail = async (o: { root: string; script: string; name: string }): Promise<void> => {
  const r = await runInRoot(o)
  if (r.code !== 0) {
    const out = r.output.trim().split("\n").slice(-5).join(" / ")
    throw composeError("compose postprocess", "Invalid", `${o.name} failed (exit ${r.code ?? "signal"})${out ? `: ${out}` : ""}`)
  }
}
