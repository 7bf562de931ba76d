/** Small pools for unit tests: packages written as `name-evr.arch` plus dependency strings. */
import { parseCapability } from "../../src/io/rpm/query.js"
import { Pool } from "../../src/solver/pool.js"
import "../../src/solver/rich.js"
import { select } from "../../src/solver/selection.js"
import { solve, type SolveOptions, type SolveResult } from "../../src/solver/solver.js"
import type { Job } from "../../src/solver/jobs.js"
import type { PackageInput } from "../../src/solver/package.js"

export interface Spec {
  readonly provides?: string[]
  readonly requires?: string[]
  readonly conflicts?: string[]
  readonly obsoletes?: string[]
  readonly recommends?: string[]
  readonly suggests?: string[]
  readonly supplements?: string[]
  readonly enhances?: string[]
  readonly files?: string[]
}

/** "foo-1:2.0-3.x86_64" → name, epoch, version, release, arch. */
export const pkg = (nevra: string, spec: Spec = {}): PackageInput => {
  const m = /^(.+)-(?:(\d+):)?([^-]+)-([^-]+)\.([^.]+)$/.exec(nevra)
  if (!m) throw new Error(`bad nevra ${nevra}`)
  const deps = (l?: string[]) => l?.map((d) => (d.startsWith("(") ? { name: d, flags: 0, evr: "" } : parseCapability(d)))
  return {
    name: m[1]!, epoch: m[2], version: m[3]!, release: m[4]!, arch: m[5]!,
    provides: deps(spec.provides), requires: deps(spec.requires), conflicts: deps(spec.conflicts), obsoletes: deps(spec.obsoletes),
    recommends: deps(spec.recommends), suggests: deps(spec.suggests), supplements: deps(spec.supplements), enhances: deps(spec.enhances), files: spec.files,
  }
}

export const makePool = ({ installed = [], repos = [], arch = "x86_64" }: { installed?: PackageInput[]; repos?: Array<{ name?: string; priority?: number; packages: PackageInput[] }>; arch?: string }): Pool => {
  const pool = new Pool({ arch })
  if (installed.length) {
    const sys = pool.addRepo({ name: "@System", installed: true })
    for (const p of installed) pool.addPackage(sys, p)
  }
  repos.forEach((r, i) => {
    const id = pool.addRepo({ name: r.name ?? `repo${i}`, priority: r.priority ?? 0 })
    for (const p of r.packages) pool.addPackage(id, p)
  })
  pool.finalize()
  return pool
}

export type JobSpec = [Job["op"], string?]

export const run = (pool: Pool, jobs: JobSpec[], opts: Omit<SolveOptions, "jobs"> = {}): SolveResult =>
  solve(pool, { ...opts, jobs: jobs.map(([op, spec]) => (spec === undefined ? ({ op } as Job) : ({ op, what: select(pool, spec) } as Job))) })

/** A result as sorted lines: "install X", "erase X", "upgrade X -> Y", … */
export const lines = (pool: Pool, r: SolveResult): string[] =>
  r.transaction.steps.map((s) => (s.by !== undefined ? `${s.kind} ${pool.nevra(s.pkg)} -> ${pool.nevra(s.by)}` : `${s.kind} ${pool.nevra(s.pkg)}`)).sort()
