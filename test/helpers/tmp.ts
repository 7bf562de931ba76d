/** Temp dirs and reference-tool runners shared by tests. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { execFileSync, spawnSync } from "node:child_process"

export const tmp = (t: { teardown: (fn: () => void) => void }, prefix = "strata-test-"): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs a reference tool, returning stdout; throws with stderr on failure. */
export const sh = (cmd: string, args: ReadonlyArray<string>, opts: { cwd?: string; input?: string } = {}): string =>
  execFileSync(cmd, args, { encoding: "utf8", cwd: opts.cwd, input: opts.input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 28 })

export interface RunResult { readonly status: number; readonly stdout: string; readonly stderr: string }

/** Runs the strata CLI as a separate process (the way users and the benchmarks do). */
export const strata = (args: ReadonlyArray<string>, opts: { cwd?: string; env?: Record<string, string> } = {}): RunResult => {
  const bin = join(process.cwd(), "bin", "strata.js")
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: opts.cwd, env: { ...process.env, ...opts.env }, maxBuffer: 1 << 28 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** ostree show prints "ContentChecksum:  <hex>". */
export const ostreeContentChecksum = (repo: string, rev: string): string =>
  /ContentChecksum:\s+([0-9a-f]{64})/.exec(sh("ostree", [`--repo=${repo}`, "show", rev]))![1]!
