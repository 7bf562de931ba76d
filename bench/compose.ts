/**
 * Compose of the fixture treefile (fixtures/distro, compose/1/fixture.yaml), whole process:
 *
 *   cold    a new repository and an empty cachedir (repo metadata, downloads, unpacking all done)
 *   warm    a new repository and the cachedir of a previous run (metadata, verified .rpm files and
 *           the per-package import cache reused)
 *   no-op   the same compose again on the warm repository (inputs unchanged: nothing written)
 *
 * Median of `runs` each. Nothing is asserted. The lead calls `benchCompose()` from the layering
 * benchmark; `node dist/bench/compose.js [--runs=N]` runs it alone.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))
const strataBin = join(root, "bin", "strata.js")

export interface ComposeBench {
  readonly coldSec: number
  readonly warmSec: number
  readonly noopSec: number
  readonly runs: number
}

const run = (cmd: string[]): number => {
  const t0 = performance.now()
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26 })
  const s = (performance.now() - t0) / 1000
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed: ${(r.stderr ?? "").trim()}`)
  return s
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Builds the fixture distribution (a no-op when built) and times cold, warm and no-op composes. */
export const benchCompose = ({ runs = 3, distroDir = join(root, "fixtures", "distro", ".build") }: { runs?: number; distroDir?: string } = {}): ComposeBench => {
  run(["bash", join(root, "fixtures", "distro", "build.sh"), distroDir])
  const treefile = join(distroDir, "compose", "1", "fixture.yaml")
  const work = mkdtempSync(join(tmpdir(), "strata-bench-compose-"))
  try {
    const cold: number[] = []
    const warm: number[] = []
    const noop: number[] = []
    const warmCache = join(work, "warm-cache")
    for (let i = 0; i < runs; i++) {
      const repo = join(work, `cold-${i}`)
      run(["ostree", `--repo=${repo}`, "init", "--mode=bare"])
      run(["sync"])
      cold.push(run([process.execPath, strataBin, "compose", "tree", "--repo", repo, "--cachedir", join(work, `cold-cache-${i}`), treefile]))
    }
    // one untimed run fills the warm cache
    run(["ostree", `--repo=${join(work, "warmup")}`, "init", "--mode=bare"])
    run([process.execPath, strataBin, "compose", "tree", "--repo", join(work, "warmup"), "--cachedir", warmCache, treefile])
    for (let i = 0; i < runs; i++) {
      const repo = join(work, `warm-${i}`)
      run(["ostree", `--repo=${repo}`, "init", "--mode=bare"])
      run(["sync"])
      warm.push(run([process.execPath, strataBin, "compose", "tree", "--repo", repo, "--cachedir", warmCache, treefile]))
      noop.push(run([process.execPath, strataBin, "compose", "tree", "--repo", repo, "--cachedir", warmCache, treefile]))
    }
    return { coldSec: median(cold), warmSec: median(warm), noopSec: median(noop), runs }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

export const formatComposeBench = (b: ComposeBench): string =>
  [
    `compose fixture.yaml (median of ${b.runs})`,
    `  cold cache   ${b.coldSec.toFixed(2)} s`,
    `  warm cache   ${b.warmSec.toFixed(2)} s   (warm/cold ${(b.warmSec / b.coldSec).toFixed(2)})`,
    `  no change    ${b.noopSec.toFixed(2)} s`,
  ].join("\n")

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runs = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 3)
  console.log(formatComposeBench(benchCompose({ runs })))
}
