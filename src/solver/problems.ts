/**
 * Explanations of an unsolvable request, in libsolv's and dnf's words. A problem is the set of
 * original clauses a proof of unsatisfiability used (sat.ts proof); each clause becomes one
 * sentence ("package X requires Y, but none of the providers can be installed", "conflicting
 * requests", "package X conflicts with Y provided by Z"), the most telling one heads the problem
 * (a missing provider before a requirement before a conflict before an installed package before
 * the request itself, as libsolv's solver_findproblemrule ranks them), and every user request or
 * installed package in the proof is a way out: "do not ask to install X", "allow deinstallation
 * of Y".
 */
import { R, type Clauses } from "./clauses.js"
import type { Job } from "./jobs.js"
import type { Pool } from "./pool.js"

export interface Solution {
  readonly text: string
  /** Drop user request number `job`, or let installed package `erase` (a NEVRA) go. */
  readonly job?: number
  readonly erase?: string
}

export interface Problem {
  /** The sentence that best names the cause. */
  readonly summary: string
  /** Every sentence of the proof, summary first. */
  readonly rules: ReadonlyArray<string>
  readonly solutions: ReadonlyArray<Solution>
}

const RANK: Record<number, number> = {
  [R.NOTHING_PROVIDES]: 0, [R.NOT_INSTALLABLE]: 0, [R.REQUIRES]: 1, [R.RICH]: 1, [R.CONFLICTS]: 2, [R.RICH_CONFLICTS]: 2,
  [R.OBSOLETES]: 2, [R.INSTALLED_OBSOLETES]: 2, [R.SAME_NAME]: 2, [R.UPDATE]: 3, [R.DUP]: 3, [R.BEST]: 3, [R.JOB]: 4,
}

const jobVerb = (job: Job | undefined): string =>
  job?.op === "erase" ? "deinstall" : job?.op === "lock" ? "lock" : job?.op === "upgrade" || job?.op === "distupgrade" ? "update" : "install"

export const describeRule = (pool: Pool, clauses: Clauses, jobs: ReadonlyArray<Job>, c: number): string => {
  const kind = clauses.kind.data[c]!
  const src = clauses.src.data[c]!
  const dep = clauses.dep.data[c]!
  const other = clauses.other.data[c]!
  const n = (s: number): string => pool.nevra(s)
  switch (kind) {
    case R.REQUIRES:
    case R.RICH:
      return `package ${n(src)} requires ${pool.formatDep(dep)}, but none of the providers can be installed`
    case R.NOTHING_PROVIDES:
      return `nothing provides ${pool.formatDep(dep)} needed by ${n(src)}`
    case R.NOT_INSTALLABLE:
      return pool.excluded.data[src] ? `package ${n(src)} is filtered out by exclude filtering` : `package ${n(src)} does not have a compatible architecture`
    case R.CONFLICTS:
      return `package ${n(src)} conflicts with ${pool.formatDep(dep)} provided by ${n(other)}`
    case R.RICH_CONFLICTS: {
      const others = Array.from(clauses.literals(c)).filter((l) => l < 0 && -l !== src)
      return others.length === 1 ? `package ${n(src)} conflicts with ${pool.formatDep(dep)} provided by ${n(-others[0]!)}` : `package ${n(src)} conflicts with ${pool.formatDep(dep)}`
    }
    case R.OBSOLETES:
      return `package ${n(src)} obsoletes ${pool.formatDep(dep)} provided by ${n(other)}`
    case R.INSTALLED_OBSOLETES:
      return `installed package ${n(src)} obsoletes ${pool.formatDep(dep)} provided by ${n(other)}`
    case R.SAME_NAME:
      return `cannot install both ${n(src)} and ${n(other)}`
    case R.UPDATE:
    case R.DUP:
      return `problem with installed package ${n(src)}`
    case R.BEST:
      return src ? `cannot install the best update candidate for package ${n(src)}` : "cannot install the best candidate for the job"
    case R.JOB: {
      const job = jobs[other]
      if (clauses.size.data[c] === 0 && job?.what) return job.what.solvables.length ? `package ${job.what.text} is not installable` : `nothing provides requested ${job.what.text}`
      return "conflicting requests"
    }
    default:
      return "some dependency problem"
  }
}

export const describeProblem = (pool: Pool, clauses: Clauses, jobs: ReadonlyArray<Job>, proof: ReadonlyArray<number>): Problem => {
  const ordered = [...proof].sort((a, b) => (RANK[clauses.kind.data[a]!] ?? 5) - (RANK[clauses.kind.data[b]!] ?? 5) || a - b)
  const rules = [...new Set(ordered.map((c) => describeRule(pool, clauses, jobs, c)))]
  const solutions: Solution[] = []
  const seen = new Set<string>()
  const add = (s: Solution): void => {
    if (!seen.has(s.text)) {
      seen.add(s.text)
      solutions.push(s)
    }
  }
  for (const c of proof) {
    const kind = clauses.kind.data[c]!
    if (kind === R.UPDATE || kind === R.DUP) add({ text: `allow deinstallation of ${pool.nevra(clauses.src.data[c]!)}`, erase: pool.nevra(clauses.src.data[c]!) })
  }
  for (const c of proof) {
    if (clauses.kind.data[c] !== R.BEST) continue
    const i = clauses.src.data[c]!
    add({ text: i ? `allow an update of ${pool.nevra(i)} that is not the newest` : "allow a candidate that is not the best", job: clauses.other.data[c]! })
  }
  for (const c of proof) {
    if (clauses.kind.data[c] !== R.JOB) continue
    const j = clauses.other.data[c]!
    const job = jobs[j]
    const what = job?.what?.text ?? "all packages"
    add({ text: `do not ask to ${jobVerb(job)} ${what}`, job: j })
  }
  return { summary: rules[0] ?? "some dependency problem", rules, solutions }
}
