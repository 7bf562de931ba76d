/**
 * strata's test-case format for solver scenarios translated from libsolv's test suite (see
 * tools/translate-libsolv.ts), and a runner that plays one through strata's solver and prints
 * the result in libsolv's testcase result syntax, so expected lines compare directly.
 */
import { rangesOverlap, SENSE_EQUAL, operatorSense } from "../../src/formats/rpm/evr.js"
import { Pool } from "../../src/solver/pool.js"
import "../../src/solver/rich.js"
import { solve, type SolveResult } from "../../src/solver/solver.js"
import type { Job } from "../../src/solver/jobs.js"
import type { Selection } from "../../src/solver/selection.js"
import type { PackageInput } from "../../src/solver/package.js"
import { parseCapability } from "../../src/io/rpm/query.js"

export interface CasePackage {
  name: string
  epoch?: string | undefined
  version: string
  release: string
  arch: string
  provides?: string[]
  requires?: string[]
  conflicts?: string[]
  obsoletes?: string[]
  recommends?: string[]
  suggests?: string[]
  supplements?: string[]
  enhances?: string[]
  files?: string[]
}

export interface CaseRun {
  solverflags: string[]
  jobs: string[]
  result: { kinds: string[]; lines: string[] } | undefined
  /** Lines the translator did not understand (the runner skips such runs). */
  other?: string[]
}

export interface CaseFile {
  source: string
  arch: string
  disttype: string
  installed: string | undefined
  poolflags: string[]
  repos: Array<{ name: string; priority: number; packages: CasePackage[] }>
  runs: CaseRun[]
}

const SUPPORTED_SOLVERFLAGS = new Set(["allowuninstall", "ignorerecommended", "keeporphans", "keepexplicitobsoletes"])
// libsolv's default treats multiversion packages' obsoletes as strata does
const SUPPORTED_POOLFLAGS = new Set(["implicitobsoleteusescolors", "noobsoletesmultiversion", "!noobsoletesmultiversion"])
const SUPPORTED_JOB_FLAGS = new Set(["cleandeps", "weak", "forcebest"])
const SUPPORTED_RESULTS = new Set(["transaction", "problems", "cleandeps"])

const depOf = (s: string) => parseCapability(s)

export const casePackage = (p: CasePackage): PackageInput => ({
  name: p.name, epoch: p.epoch, version: p.version, release: p.release, arch: p.arch,
  provides: p.provides?.map(depOf), requires: p.requires?.map(depOf), conflicts: p.conflicts?.map(depOf), obsoletes: p.obsoletes?.map(depOf),
  recommends: p.recommends?.map(depOf), suggests: p.suggests?.map(depOf), supplements: p.supplements?.map(depOf), enhances: p.enhances?.map(depOf),
  files: p.files,
})

/** Why strata cannot play this run, or undefined. */
export const unsupported = (file: CaseFile, run: CaseRun): string | undefined => {
  if (run.other?.length) return `statement ${run.other[0]!.split(" ")[0]}`
  if (!run.result) return "no result"
  const kinds = run.result.kinds.filter((k) => !SUPPORTED_RESULTS.has(k))
  if (kinds.length) return `result ${kinds.join(",")}`
  const pf = file.poolflags.filter((f) => !SUPPORTED_POOLFLAGS.has(f))
  if (pf.length) return `poolflags ${pf.join(" ")}`
  const sf = run.solverflags.filter((f) => !SUPPORTED_SOLVERFLAGS.has(f))
  if (sf.length) return `solverflags ${sf.join(" ")}`
  for (const j of run.jobs) {
    const m = /^(\w+) (\w+)/.exec(j)
    if (!m || !["install", "erase", "update", "distupgrade", "lock", "favor", "disfavor", "multiversion"].includes(m[1]!)) return `job ${m?.[1] ?? j}`
    if (!["name", "provides", "pkg", "oneof", "all", "repo"].includes(m[2]!)) return `selection ${m[2]}`
    const flags = /\[(.*)\]/.exec(j)?.[1]?.split(",").filter((f) => !SUPPORTED_JOB_FLAGS.has(f)) ?? []
    if (flags.length) return `job flags ${flags.join(",")}`
  }
  return undefined
}

export interface Played {
  readonly pool: Pool
  readonly result: SolveResult
  readonly repoOf: (s: number) => string
  /** The result in libsolv's testcase syntax (transaction lines, then "problem … info …"). */
  readonly lines: string[]
}

export const buildPool = (file: CaseFile): { pool: Pool; repoOf: (s: number) => string; byId: Map<string, number> } => {
  const pool = new Pool({ arch: file.arch, implicitObsoleteUsesColors: file.poolflags.includes("implicitobsoleteusescolors") })
  const repoName: string[] = []
  const byId = new Map<string, number>()
  for (const r of file.repos) {
    const repo = pool.addRepo({ name: r.name, priority: r.priority, installed: r.name === file.installed })
    repoName[repo] = r.name
    for (const p of r.packages) {
      const s = pool.addPackage(repo, casePackage(p))
      byId.set(`${pool.nevra(s)}@${r.name}`, s)
    }
  }
  pool.finalize()
  return { pool, repoOf: (s) => repoName[pool.repo.data[s]!]!, byId }
}

/** libsolv's job syntax → a strata Job (selection resolved as libsolv resolves it). */
const parseJob = (pool: Pool, byId: Map<string, number>, text: string): Job => {
  const flags = /\[(.*)\]/.exec(text)?.[1]?.split(",") ?? []
  const body = text.replace(/\s*\[.*\]\s*$/, "")
  const [op, how, ...rest] = body.split(" ")
  const arg = rest.join(" ")
  let solvables: number[] = []
  if (how === "name") {
    const cap = depOf(arg)
    const id = pool.strings.lookup(cap.name)
    const idx = pool.finalize()
    if (id !== undefined)
      solvables = Array.from(idx.byName(id)).filter(
        (s) => pool.name.data[s] === id && (!cap.evr || rangesOverlap({ evr: pool.evrOf(s), flags: SENSE_EQUAL }, { evr: cap.evr, flags: cap.flags || operatorSense("=") })),
      )
  } else if (how === "provides") {
    const cap = depOf(arg)
    solvables = Array.from(pool.whatprovides(pool.dep(cap.name, cap.flags, cap.evr)))
  } else if (how === "pkg" || how === "oneof") solvables = rest.map((r) => byId.get(r)).filter((s): s is number => s !== undefined)
  else if (how === "all") solvables = Array.from({ length: pool.count - 1 }, (_, k) => k + 1)
  else if (how === "repo") {
    const r = pool.repos.find((x) => x.name === arg)
    for (let s = 1; s < pool.count; s++) if (pool.repo.data[s] === r?.id) solvables.push(s)
  }
  solvables.sort((a, b) => a - b)
  const what: Selection = { text: how === "pkg" ? arg.replace(/@.*$/, "") : how === "all" ? "all packages" : arg, how: how === "pkg" || how === "oneof" ? "pkg" : how === "provides" ? "provides" : "name", solvables }
  const cleandeps = flags.includes("cleandeps")
  const best = flags.includes("forcebest")
  const weak = flags.includes("weak")
  switch (op) {
    case "install": return { op: "install", what, cleandeps, weak, best }
    case "erase": return { op: "erase", what, cleandeps, weak }
    case "update": return how === "all" ? { op: "upgrade", cleandeps, best } : { op: "upgrade", what, cleandeps, best }
    case "distupgrade": return how === "all" ? { op: "distupgrade", cleandeps } : { op: "distupgrade", what, cleandeps }
    case "lock": return { op: "lock", what }
    case "favor": return { op: "favor", what }
    case "disfavor": return { op: "disfavor", what }
    case "multiversion": return { op: "multiversion", what }
    default: throw new Error(`job ${text}`)
  }
}

export const play = (file: CaseFile, run: CaseRun): Played => {
  const { pool, repoOf, byId } = buildPool(file)
  const jobs = run.jobs.map((j) => parseJob(pool, byId, j))
  const result = solve(pool, { jobs, allowUninstall: run.solverflags.includes("allowuninstall"), ignoreRecommends: run.solverflags.includes("ignorerecommended"), keepOrphans: run.solverflags.includes("keeporphans"), keepExplicitObsoletes: run.solverflags.includes("keepexplicitobsoletes") })
  const id = (s: number) => `${pool.nevra(s)}@${repoOf(s)}`
  const lines: string[] = []
  if (run.result?.kinds.includes("transaction"))
    for (const st of result.transaction.steps) {
      const kind = st.kind === "obsolete" ? "erase" : st.kind
      lines.push(st.by !== undefined ? `${kind} ${id(st.pkg)} ${id(st.by)}` : `${kind} ${id(st.pkg)}`)
    }
  if (run.result?.kinds.includes("cleandeps")) for (const s of result.cleaned) lines.push(`cleandeps ${id(s)}`)
  if (run.result?.kinds.includes("problems")) for (const p of result.problems) lines.push(`problem info ${p.summary}`)
  return { pool, result, repoOf, lines: lines.sort() }
}

/** Expected lines comparable with play(): problem ids and solution lines dropped. */
export const expectedLines = (run: CaseRun): string[] =>
  (run.result?.lines ?? [])
    .filter((l) => !/^problem \S+ solution/.test(l))
    .map((l) => l.replace(/^problem \S+ info /, "problem info "))
    .sort()
