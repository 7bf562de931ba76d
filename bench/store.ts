/**
 * `npm run bench:store` — the object store against the real `ostree`, on the same OS tree, in the
 * same run, whole process (startup included).
 *
 * Operations: commit into a fresh bare repo; commit into a fresh archive repo; `checkout -H` into
 * a fresh dir; `fsck`. Checkout and fsck read one shared bare repo — the one ostree wrote — so
 * both tools read the same objects. Each operation runs once per tool untimed (warm-up), then
 * `--runs` times alternating ostree/strata after a `sync`; the table shows the median wall time
 * and the highest peak RSS (`/usr/bin/time -f %M`, the largest process of the command). Repo init,
 * removing old output and `sync` are not timed.
 *
 * Usage: node dist/bench/store.js [--quick] [--runs=N] [--tree=DIR] [--tools=ostree,strata] [--keep] [--strata-bin=JS]
 *   --quick       use .bench/tree-small (usr/share of the bench tree, copied once)
 *   --tools       `ostree` alone measures only the reference
 *   --keep        leave the repos and checkout under .bench/run
 *   --strata-bin  the script run as `node JS repo --repo=R ...` (default bin/strata.js)
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs"
import { availableParallelism } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { fatal as fatalIn, median, printRow as printRowIn, sh as shIn } from "./harness.js"

const fatal: (msg: string) => never = (msg) => fatalIn("store", msg)
const sh = (script: string): string => shIn("store", script)
const printRow = (cells: string[]): void => printRowIn(cells, 14)

type Tool = "ostree" | "strata"

type Run =
  | { readonly ok: true; readonly seconds: number; readonly rssKb: number; readonly stdout: string }
  | { readonly ok: false; readonly error: string }

interface Op {
  readonly name: string
  /** highest acceptable strata/ostree time ratio */
  readonly ratio: number
  /** highest acceptable strata peak RSS in MB, if any */
  readonly rssMb?: number
  /** untimed setup before each run; returns an error line on failure */
  readonly prepare: (tool: Tool) => string | undefined
  readonly args: (tool: Tool) => { repo: string; args: string[] }
}

const root = fileURLToPath(new URL("../../", import.meta.url))
const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)

if (flag("help") || flag("h")) {
  console.log("usage: node dist/bench/store.js [--quick] [--runs=N] [--tree=DIR] [--tools=ostree,strata] [--keep] [--strata-bin=JS]")
  process.exit(0)
}
const runs = Number(option("runs") ?? 3)
if (!Number.isInteger(runs) || runs < 1) fatal(`--runs must be a positive integer, got ${option("runs")}`)
const tools = (option("tools") ?? "ostree,strata").split(",") as Tool[]
if (!tools.includes("ostree") || tools.some((t) => t !== "ostree" && t !== "strata")) fatal("--tools must list ostree, optionally strata")
const work = join(root, ".bench", "run")
const timestamp = "2023-11-14T00:00:00Z"
const strataBin = option("strata-bin") ?? join(root, "bin", "strata.js")

const tree = option("tree") ?? ensureTree(flag("quick"))
if (!existsSync(tree)) fatal(`no tree at ${tree}`)
if (process.getuid?.() !== 0) console.log("note: not root — bare-mode commit and checkout -H need root to keep ownership")

rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })

const repoOf = (tool: Tool, mode: string) => join(work, `${tool}-${mode}`)
const checkoutDir = join(work, "checkout")
const sharedBare = repoOf("ostree", "bare")

const commitOp = (mode: "bare" | "archive", ratio: number): Op => ({
  name: `commit ${mode}`,
  ratio,
  rssMb: 300,
  prepare: (tool) => {
    const repo = repoOf(tool, mode)
    rmSync(repo, { recursive: true, force: true })
    const r = runTool(tool, repo, ["init", `--mode=${mode}`], false)
    return r.ok ? undefined : `init: ${r.error}`
  },
  args: (tool) => ({
    repo: repoOf(tool, mode),
    args: ["commit", "-b", "bench", `--tree=dir=${tree}`, "-s", "bench", `--timestamp=${timestamp}`],
  }),
})

const ops: Op[] = [
  commitOp("bare", 1.0),
  commitOp("archive", 0.6),
  {
    name: "checkout -H",
    ratio: 1.0,
    prepare: () => (rmSync(checkoutDir, { recursive: true, force: true }), undefined),
    args: () => ({ repo: sharedBare, args: ["checkout", "-H", "bench", checkoutDir] }),
  },
  { name: "fsck", ratio: 1.0, prepare: () => undefined, args: () => ({ repo: sharedBare, args: ["fsck"] }) },
]

console.log(`bench:store  tree ${tree} (${describeTree(tree)})`)
console.log(`${ostreeVersion()}, node ${process.version}, ${availableParallelism()} CPUs, ${runs} timed runs per tool after one warm-up`)
console.log("warming the page cache with the tree…")
sh(`find '${tree}' -type f -exec cat {} + > /dev/null`)

const rows: string[][] = [["operation", "ostree s", "strata s", "ratio", "ostree MB", "strata MB", "result"]]
printRow(rows[0]!)
for (const op of ops) {
  const row = measureOp(op)
  rows.push(row)
  printRow(row)
}
checkContent()
if (!flag("keep")) rmSync(work, { recursive: true, force: true })

// ---------------------------------------------------------------------------------------------

function measureOp(op: Op): string[] {
  const times: Record<Tool, number[]> = { ostree: [], strata: [] }
  const rss: Record<Tool, number> = { ostree: 0, strata: 0 }
  const failed: Partial<Record<Tool, string>> = {}
  const once = (tool: Tool, timed: boolean) => {
    if (failed[tool]) return
    sh("sync")
    const bad = op.prepare(tool)
    const r: Run = bad ? { ok: false, error: bad } : runTool(tool, op.args(tool).repo, op.args(tool).args, true)
    if (!r.ok) failed[tool] = r.error
    else if (timed) {
      times[tool].push(r.seconds)
      rss[tool] = Math.max(rss[tool], r.rssKb)
    }
  }
  for (const tool of tools) once(tool, false)
  for (let i = 0; i < runs; i++) for (const tool of tools) once(tool, true)
  if (failed.ostree) fatal(`${op.name}: ostree failed: ${failed.ostree}`)

  const o = median(times.ostree)
  const oMb = rss.ostree / 1024
  if (!tools.includes("strata")) return [op.name, o.toFixed(2), "-", "-", oMb.toFixed(1), "-", "strata not run"]
  if (failed.strata) return [op.name, o.toFixed(2), "-", "-", oMb.toFixed(1), "-", `strata failed: ${failed.strata}`]
  const s = median(times.strata)
  const sMb = rss.strata / 1024
  const ratio = s / o
  const goals = [`ratio ≤ ${op.ratio.toFixed(1)}`]
  let met = ratio <= op.ratio
  if (op.rssMb !== undefined) {
    goals.push(`RSS ≤ ${op.rssMb} MB`)
    met &&= sMb <= op.rssMb
  }
  return [op.name, o.toFixed(2), s.toFixed(2), ratio.toFixed(2), oMb.toFixed(1), sMb.toFixed(1), `${met ? "target met" : "target missed"} (${goals.join(", ")})`]
}

/** ContentChecksum (and commit checksum) of each tool's commits, via each tool's own `show`. */
function checkContent(): void {
  console.log("")
  for (const mode of ["bare", "archive"]) {
    const read = (tool: Tool): { content: string; commit?: string } | { error: string } => {
      const r = runTool(tool, repoOf(tool, mode), ["show", "bench"], false)
      if (!r.ok) return { error: `${tool} failed: ${r.error}` }
      const content = /ContentChecksum:\s+([0-9a-f]{64})/.exec(r.stdout)?.[1]
      const commit = /^commit ([0-9a-f]{64})/m.exec(r.stdout)?.[1]
      if (!content) return { error: `${tool} show printed no ContentChecksum` }
      return commit ? { content, commit } : { content }
    }
    const o = read("ostree")
    if ("error" in o) fatal(`${mode}: ${o.error}`)
    if (!tools.includes("strata")) {
      console.log(`ContentChecksum (${mode}): ostree ${o.content}; strata not run`)
      continue
    }
    const s = read("strata")
    if ("error" in s) {
      console.log(`ContentChecksum (${mode}): ostree ${o.content}; strata failed: ${s.error.replace(/^strata failed: /, "")}`)
      continue
    }
    const same = o.content === s.content
    console.log(`ContentChecksum (${mode}): ${same ? "same" : "DIFFERENT"} — ostree ${o.content}, strata ${s.content}`)
    console.log(`  commit checksum (informational): ${o.commit === s.commit ? "same" : "differs"} — ostree ${o.commit}, strata ${s.commit}`)
  }
}

/** Runs one tool command against a repo; when `measure`, under /usr/bin/time for peak RSS. */
function runTool(tool: Tool, repo: string, args: string[], measure: boolean): Run {
  const cmd = tool === "ostree" ? ["ostree", `--repo=${repo}`, ...args] : [process.execPath, strataBin, "repo", `--repo=${repo}`, ...args]
  const rssFile = join(work, "rss")
  const full = measure ? ["/usr/bin/time", "-f", "%M", "-o", rssFile, "--", ...cmd] : cmd
  const t0 = performance.now()
  const r = spawnSync(full[0]!, full.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20, cwd: work })
  const seconds = (performance.now() - t0) / 1000
  if (r.error) return { ok: false, error: r.error.message }
  if (r.status !== 0) {
    const first = `${r.stderr}\n${r.stdout}`.split("\n").map((l) => l.trim()).find((l) => l !== "")
    return { ok: false, error: first ?? `exit status ${r.status ?? r.signal}` }
  }
  const rssKb = measure ? Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) : 0
  return { ok: true, seconds, rssKb, stdout: r.stdout }
}

function ensureTree(quick: boolean): string {
  const full = join(root, ".bench", "tree")
  if (!existsSync(`${full}.complete`)) {
    console.log("building the OS tree with bench/make-tree.sh (once)…")
    const r = spawnSync("bash", [join(root, "bench", "make-tree.sh"), full], { stdio: "inherit", cwd: root })
    if (r.status !== 0) fatal("bench/make-tree.sh failed")
  }
  if (!quick) return full
  const small = join(root, ".bench", "tree-small")
  if (!existsSync(`${small}.complete`)) {
    rmSync(small, { recursive: true, force: true })
    mkdirSync(join(small, "usr"), { recursive: true })
    sh(`cp -a '${join(full, "usr", "share")}' '${join(small, "usr", "share")}' && touch '${small}.complete'`)
  }
  return small
}

function describeTree(dir: string): string {
  const entries = sh(`find '${dir}' | wc -l`).trim()
  const size = sh(`du -sm '${dir}' | cut -f1`).trim()
  return `${entries} entries, ${size} MB`
}

function ostreeVersion(): string {
  const v = /Version:\s*'?([^'\n]+)/.exec(sh("ostree --version"))?.[1]
  return `ostree ${v ?? "?"}`
}




