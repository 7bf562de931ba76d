/**
 * solve(pool, jobs): rules, search, and what to do when there is no solution. An unsolvable
 * search ends in a proof (sat.ts); if it involves a weak clause — an installed package that
 * allowUninstall lets go — that clause is dropped and the search runs again, which is how
 * "erase A" also erases what requires A. Otherwise the proof becomes a problem (problems.ts),
 * its user requests and installed-package clauses are set aside, and the search runs again to
 * find any further problems, as libsolv does. Then clean dependencies, minimization and the
 * transaction.
 */
import { cleanDeps } from "./cleandeps.js"
import { Clauses, R } from "./clauses.js"
import { addChoiceRules, dropUnneededChoices } from "./choice.js"
import { addJobRules, type Job } from "./jobs.js"
import { minimize } from "./minimize.js"
import type { Pool } from "./pool.js"
import { describeProblem, type Problem } from "./problems.js"
import { PackageRules } from "./rules.js"
import { Sat } from "./sat.js"
import { search } from "./search.js"
import { makeTransaction, type Transaction } from "./transaction.js"

export interface SolveOptions {
  readonly jobs: ReadonlyArray<Job>
  /** Installed packages may be erased to satisfy the jobs (dnf --allowerasing; dnf remove). */
  readonly allowUninstall?: boolean
  /** Do not install weak dependencies (dnf --setopt=install_weak_deps=False). */
  readonly ignoreRecommends?: boolean
  /** Drop new packages the solution does not need (default true). */
  readonly minimize?: boolean
  /** Explicit obsoletes of multiversion packages still apply (dnf sets this). */
  readonly keepExplicitObsoletes?: boolean
  /** A distupgrade keeps installed packages no repository has, even when they are in the way. */
  readonly keepOrphans?: boolean
  /** Installed packages the user asked for (never removed by cleandeps). */
  readonly userInstalled?: ReadonlySet<number>
}

export interface SolveStats {
  readonly considered: number
  readonly clauses: number
  readonly learnt: number
  readonly conflicts: number
  readonly restarts: number
  /** Milliseconds per phase: rules, choice, attach, search, minimize, transaction. */
  readonly ms: Readonly<Record<string, number>>
}

export interface SolveResult {
  /** No problems: the transaction does everything the jobs asked. */
  readonly ok: boolean
  readonly problems: ReadonlyArray<Problem>
  /** The solution (without the requests the problems name, when there are problems). */
  readonly transaction: Transaction
  /** Packages installed only because of a weak dependency. */
  readonly weak: ReadonlyArray<number>
  /** Installed packages erased because a cleandeps job left them unneeded. */
  readonly cleaned: ReadonlyArray<number>
  readonly stats: SolveStats
}

const SOFT = new Set<number>([R.JOB, R.UPDATE, R.DUP, R.BEST])

export const solve = (pool: Pool, { jobs, allowUninstall = false, ignoreRecommends = false, minimize: doMinimize = true, userInstalled, keepOrphans = false, keepExplicitObsoletes = false }: SolveOptions): SolveResult => {
  // wall-clock milliseconds per phase, reported in stats
  const ms: Record<string, number> = {}
  let tp = performance.now()
  const lap = (k: string): void => {
    const now = performance.now()
    ms[k] = Math.round(((ms[k] ?? 0) + now - tp) * 10) / 10
    tp = now
  }
  pool.finalize()
  const weakDeps = !ignoreRecommends
  const clauses = new Clauses()
  const multiversion = new Set<number>()
  for (const j of jobs) if (j.op === "multiversion") for (const s of j.what.solvables) multiversion.add(s)
  const rules = new PackageRules(pool, clauses, weakDeps, multiversion, keepExplicitObsoletes)
  const jr = addJobRules({ pool, clauses, rules, jobs, allowUninstall, keepOrphans })
  rules.addSupplementers()
  const installed = new Uint8Array(pool.count)
  for (const i of pool.installedIds()) installed[i] = 1
  lap("rules")
  addChoiceRules({ pool, clauses, jobs: jr, installed, nOriginal: clauses.count })
  const nOriginal = clauses.count
  lap("choice")
  const problems: Problem[] = []
  let restarts = 0
  let conflicts = 0
  for (;;) {
    clauses.truncate(nOriginal)
    const sat = new Sat(clauses, pool.count - 1)
    let confl = sat.attachAll(nOriginal, clauses.disabled.data)
    let weakChosen = new Set<number>()
    let updates = new Set<number>()
    lap("attach")
    if (confl < 0) {
      const r = search({ pool, clauses, sat, jobs: jr, installed, added: rules.added, nOriginal, weakDeps })
      confl = r.conflict
      weakChosen = r.weakChosen
      updates = r.updates
    }
    conflicts += sat.conflicts
    lap("search")
    if (confl < 0 && dropUnneededChoices({ clauses, jobs: jr, value: sat.value })) {
      restarts++
      continue
    }
    if (confl < 0) {
      const value = sat.value
      // every package that can be in the solution: the installed ones and those with rules
      const candidates = Int32Array.from(new Set([...pool.installedIds(), ...rules.list])).sort()
      const cleaned = jr.cleandeps ? cleanDeps({ pool, value, installed, userInstalled, candidates }) : []
      const order = Array.from(sat.trail.subarray(0, sat.trailLen))
      if (doMinimize) minimize({ pool, clauses, nOriginal, value, installed, order, keep: new Set([...weakChosen, ...updates]) })
      lap("minimize")
      const transaction = makeTransaction(pool, (s) => value[s] === 1, candidates, multiversion)
      lap("transaction")
      const considered = rules.list.length
      return {
        ok: problems.length === 0,
        problems,
        transaction,
        cleaned,
        weak: [...weakChosen].filter((s) => value[s] === 1).sort((a, b) => a - b),
        stats: { considered, clauses: nOriginal, learnt: clauses.count - nOriginal, conflicts, restarts, ms },
      }
    }
    restarts++
    const proof = sat.proof(confl)
    const weak = proof.filter((c) => clauses.weak.data[c])
    if (weak.length) {
      // drop one weak clause and retry: a choice first, then a weak request, then an installed
      // package that is not being upgraded, then one that is; the newest of a kind
      const weakRank = (c: number): number => {
        const k = clauses.kind.data[c]!
        return k === R.CHOICE ? 4 : k === R.JOB ? 3 : k === R.UPDATE && (clauses.size.data[c] === 1 || !jr.upgrade.has(clauses.src.data[c]!)) ? 2 : 1
      }
      const w = weak.reduce((a, b) => (weakRank(b) > weakRank(a) || (weakRank(b) === weakRank(a) && b > a) ? b : a))
      clauses.disabled.data[w] = 1
      if (clauses.kind.data[w] === R.JOB) for (const jc of jr.jobClauses[clauses.other.data[w]!] ?? []) clauses.disabled.data[jc] = 1
      continue
    }
    problems.push(describeProblem(pool, clauses, jobs, proof))
    // set aside the requests the proof involves, as libsolv does, keeping installed packages'
    // clauses when there are any; a request goes whole, except an installed package's best
    // update (the package then takes any update)
    const requests = proof.filter((c) => clauses.kind.data[c] === R.JOB || clauses.kind.data[c] === R.BEST)
    const soft = requests.length ? requests : proof.filter((c) => SOFT.has(clauses.kind.data[c]!))
    if (!soft.length) throw new Error("solver: unsatisfiable without any request involved")
    for (const c of soft) {
      clauses.disabled.data[c] = 1
      const whole = clauses.kind.data[c] === R.JOB || (clauses.kind.data[c] === R.BEST && clauses.src.data[c] === 0)
      if (whole) for (const jc of jr.jobClauses[clauses.other.data[c]!] ?? []) clauses.disabled.data[jc] = 1
    }
  }
}
