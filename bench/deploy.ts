/**
 * `npm run bench:deploy` — sysroot operations against the real `ostree admin`, whole process
 * (start-up included), on the store benchmark's OS tree (bench/make-tree.sh → .bench/tree):
 *
 *   deploy     `strata admin deploy` vs `ostree admin deploy` (each into its own sysroot, whose repo
 *              holds the tree committed by that tool; one untimed warm-up deploy each, so every timed
 *              deploy merges /etc, writes a new bootversion and cleans up the old deployment)
 *   status     `strata status` and `strata admin status` vs `ostree admin status`
 *   log        append throughput and verify (bench/eventlog.ts, run as is)
 *   replay     folding every projection over a 100k-event log of deploy transactions (in process;
 *              bench:log shows it next to the read alone, with CPU time)
 *   history    `strata history` over 10k deploy transactions (whole process, output discarded)
 *
 * Median wall time of `--runs` runs, tools alternating, `sync` before each timed run. Nothing is
 * asserted; targets are printed next to the ratios.
 * Usage: node dist/bench/deploy.js [--runs=N] [--status-runs=N] [--tree=DIR] [--keep]
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, rmSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { openEventLog } from "../src/events/open.js"
import { eventLogPath } from "../src/events/path.js"
import { combine, foldLog } from "../src/projections/fold.js"
import { bootloaderProjection } from "../src/projections/bootloader.js"
import { deploymentsProjection } from "../src/projections/deployments.js"
import { historyProjection } from "../src/projections/history.js"
import { inflightProjection } from "../src/projections/inflight.js"
import { writeDeployLog } from "./deploy-log.js"

const root = fileURLToPath(new URL("../../", import.meta.url))
const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const runs = Number(option("runs") ?? 3)
const statusRuns = Number(option("status-runs") ?? 10)
const tree = option("tree") ?? join(root, ".bench", "tree")
const work = join(root, ".bench", "deploy")
const strataBin = join(root, "bin", "strata.js")
const A = join(work, "ostree-sysroot")
const B = join(work, "strata-sysroot")

const fatal = (msg: string): never => {
  console.error(`bench:deploy: ${msg}`)
  process.exit(1)
}

/** Runs a command; its wall time in seconds. Fails the bench on a non-zero exit. */
const time = (cmd: string[], quiet = true): number => {
  const t0 = performance.now()
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", stdio: ["ignore", quiet ? "ignore" : "pipe", "pipe"], maxBuffer: 1 << 28 })
  const s = (performance.now() - t0) / 1000
  if (r.status !== 0) fatal(`${cmd.join(" ")} failed: ${(r.stderr ?? "").trim().split("\n")[0]}`)
  return s
}
const sh = (cmd: string[]): string => {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", maxBuffer: 1 << 28 })
  if (r.status !== 0) fatal(`${cmd.join(" ")} failed: ${r.stderr.trim()}`)
  return r.stdout
}
const strata = (...args: string[]): string[] => [process.execPath, strataBin, ...args]
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const rows: string[][] = []
const row = (name: string, ostree: number | undefined, mine: number, target: string, unit = "s"): void => {
  const ratio = ostree !== undefined ? mine / ostree : undefined
  const r = [name, ostree !== undefined ? `${ostree.toFixed(3)} ${unit}` : "-", `${mine.toFixed(3)} ${unit}`, ratio !== undefined ? ratio.toFixed(2) : "-", target]
  rows.push(r)
  console.log(r.join("  |  "))
}

if (!existsSync(`${tree}.complete`) && !option("tree")) {
  console.log("building the OS tree with bench/make-tree.sh (once)…")
  if (spawnSync("bash", [join(root, "bench", "make-tree.sh"), tree], { stdio: "inherit", cwd: root }).status !== 0) fatal("bench/make-tree.sh failed")
}
if (!existsSync(tree)) fatal(`no tree at ${tree}`)
if (process.getuid?.() !== 0) fatal("needs root (bare repos keep ownership; deployments are chattr +i)")

const [l1, l5] = loadavg()
console.log(`bench:deploy  tree ${tree} (${sh(["sh", "-c", `find '${tree}' | wc -l`]).trim()} entries, ${sh(["du", "-sm", tree]).split("\t")[0]} MB)`)
console.log(`${sh(["ostree", "--version"]).match(/Version: '?([^'\n]+)/)?.[1] ?? "ostree ?"} vs strata, node ${process.version}, ${availableParallelism()} CPUs, load ${l1!.toFixed(1)}/${l5!.toFixed(1)} (a shared machine: ratios are the signal, absolute times vary)`)

const unseal = (dir: string): void => void spawnSync("sh", ["-c", `find '${dir}' -maxdepth 6 -path '*/ostree/deploy/*/deploy/*' -type d -prune -exec chattr -i {} + 2>/dev/null`])
unseal(work)
rmSync(work, { recursive: true, force: true })
mkdirSync(A, { recursive: true })

// Two sysroots, the tree committed into each one's repo by that sysroot's tool.
sh(["ostree", "admin", "init-fs", A])
sh(["ostree", "admin", "os-init", "bench", `--sysroot=${A}`])
sh(strata("admin", "init-fs", B))
sh(strata("admin", "os-init", "bench", "--sysroot", B))
const commitArgs = ["commit", "-b", "bench/tree", `--tree=dir=${tree}`, "-s", "bench", "--timestamp=2023-11-14T00:00:00Z", "--add-metadata-string=version=1"]
sh(["sync"])
const commitO = time(["ostree", `--repo=${A}/ostree/repo`, ...commitArgs])
sh(["sync"])
const commitS = time(strata("repo", `--repo=${B}/ostree/repo`, ...commitArgs))
const revO = sh(["ostree", `--repo=${A}/ostree/repo`, "rev-parse", "bench/tree"]).trim()
const revS = sh(["ostree", `--repo=${B}/ostree/repo`, "rev-parse", "bench/tree"]).trim()
console.log(`commit into the sysroot repo: ostree ${commitO.toFixed(2)} s, strata ${commitS.toFixed(2)} s; commit checksums ${revO === revS ? "identical" : `differ (${revO} vs ${revS})`}`)
console.log("")
console.log(["operation", "ostree", "strata", "ratio", "target"].join("  |  "))

// deploy: a warm-up each (the first deploy has no merge deployment), then alternating timed runs.
const deployO = ["ostree", "admin", "deploy", `--sysroot=${A}`, "--os=bench", "--karg=root=/dev/vda1", "bench/tree"]
const deployS = strata("admin", "deploy", "--sysroot", B, "--os=bench", "--karg=root=/dev/vda1", "bench/tree")
time(deployO)
time(deployS)
const dO: number[] = []
const dS: number[] = []
for (let i = 0; i < runs; i++) {
  sh(["sync"])
  dO.push(time(deployO))
  sh(["sync"])
  dS.push(time(deployS))
}
row("admin deploy", median(dO), median(dS), "≤ 1.0")
const listed = (S: string) => [...sh(["ostree", "admin", "status", `--sysroot=${S}`]).matchAll(/^\s+bench [0-9a-f]{64}\.\d+/gm)].length
if (listed(A) !== listed(B)) fatal(`after deploying, ostree lists ${listed(A)} deployments and strata's sysroot ${listed(B)}`)

// status, whole process.
const sO: number[] = []
const sS: number[] = []
const sA: number[] = []
time(strata("status", "--sysroot", B))
for (let i = 0; i < statusRuns; i++) {
  sO.push(time(["ostree", "admin", "status", `--sysroot=${A}`]))
  sS.push(time(strata("status", "--sysroot", B)))
  sA.push(time(strata("admin", "status", "--sysroot", B)))
}
row("status (strata status)", median(sO), median(sS), "≤ 1.0")
row("status (strata admin status)", median(sO), median(sA), "≤ 1.0")
const node = median(Array.from({ length: statusRuns }, () => time([process.execPath, "-e", ""])))
console.log(`  (node's own start-up: ${node.toFixed(3)} s; strata --version: ${median(Array.from({ length: statusRuns }, () => time(strata("--version")))).toFixed(3)} s)`)

// replay of a 100k-event log (12.5k deploy transactions), every projection, in process.
const big = join(work, "log-100k")
mkdirSync(join(big, "ostree"), { recursive: true })
const events = await writeDeployLog(big, 12_500)
const reps: number[] = []
for (let i = 0; i < 3; i++) {
  const t0 = performance.now()
  const log = await openEventLog(eventLogPath(big), { create: false })
  const s = await foldLog(combine({ deployments: deploymentsProjection, bootloader: bootloaderProjection, history: historyProjection, inflight: inflightProjection }), log)
  await log.close()
  reps.push((performance.now() - t0) / 1000)
  if (s.deployments.pos !== events) fatal(`replay folded up to ${s.deployments.pos}, expected ${events}`)
}
row(`replay ${Math.round(events / 1000)}k events (open + fold deployments, bootloader, history, in-flight)`, undefined, median(reps), "< 1 s")

// strata history over 10k transactions, whole process.
const hist = join(work, "log-10k-txns")
mkdirSync(join(hist, "ostree"), { recursive: true })
await writeDeployLog(hist, 10_000)
const h = median(Array.from({ length: 3 }, () => time(strata("history", "--sysroot", hist))))
const hj = median(Array.from({ length: 3 }, () => time(strata("history", "--json", "--sysroot", hist))))
row("strata history, 10k transactions", undefined, h, "-")
row("strata history --json, 10k transactions", undefined, hj, "-")

console.log("")
console.log("event log append throughput (bench/eventlog.ts):")
const el = spawnSync(process.execPath, [join(root, "dist", "bench", "eventlog.js")], { encoding: "utf8" })
process.stdout.write(el.stdout.split("\n").map((l) => (l ? `  ${l}` : l)).join("\n"))
if (el.status !== 0) console.log(`  (eventlog bench failed: ${el.stderr.trim()})`)

if (!process.argv.includes("--keep")) {
  unseal(work)
  rmSync(work, { recursive: true, force: true })
}
