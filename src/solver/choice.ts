/**
 * Choice clauses (libsolv's choice rules): when a requirement can be met either by updating an
 * installed package or by installing something new, prefer the update. For each requirement
 * clause -s ∨ p1 ∨ … ∨ pn whose providers include both kinds, a weak clause -s ∨ (the related
 * providers) is added; the search resolves the requirement through it, and if it leads nowhere
 * the solver drops it (solver.ts) and the plain requirement remains.
 */
import { R, type Clauses } from "./clauses.js"
import type { JobRules } from "./jobs.js"
import { rank, type PolicyView } from "./policy.js"
import type { Pool } from "./pool.js"

export const addChoiceRules = ({ pool, clauses, jobs, installed, nOriginal }: { pool: Pool; clauses: Clauses; jobs: JobRules; installed: Uint8Array; nOriginal: number }): void => {
  if (!pool.installedIds().length) return
  const repl = jobs.replacements
  // the installed package each repository package would replace, if any
  const counterpart = new Map<number, number>()
  for (const i of pool.installedIds()) for (const p of repl.of(i, true)) if (!counterpart.has(p)) counterpart.set(p, i)
  const counterpartOf = (p: number): number => counterpart.get(p) ?? 0
  // packages already ruled out by a one-literal clause (an erase or lock request, a wrong arch,
  // a missing provider): a choice for them would only force the requirer out
  const ruledOut = new Set<number>()
  for (let c = 0; c < nOriginal; c++) if (clauses.size.data[c] === 1 && !clauses.disabled.data[c] && clauses.lits.data[clauses.start.data[c]!]! < 0) ruledOut.add(-clauses.lits.data[clauses.start.data[c]!]!)
  const staticView: PolicyView = { pool, value: new Int8Array(pool.count), installed, favor: jobs.favor, recommended: () => false, suggested: () => false }
  for (let c = 0; c < nOriginal; c++) {
    const kind = clauses.kind.data[c]!
    if (kind !== R.REQUIRES && kind !== R.RICH) continue
    const lits = clauses.literals(c)
    const negs: number[] = []
    const related: Array<[number, number]> = []
    let independent = false
    let requirerKept = false
    for (const l of lits) {
      if (l < 0) {
        negs.push(l)
        if (installed[-l] && !jobs.upgrade.has(-l)) requirerKept = true
        continue
      }
      if (ruledOut.has(l)) continue
      if (installed[l]) related.push([l, l])
      else {
        const i = counterpartOf(l)
        if (i) related.push([i, l])
        else independent = true
      }
    }
    if (!independent || !related.length) continue
    const providers = new Set(Array.from(lits).filter((l) => l > 0))
    let keep = related
    if (!requirerKept)
      keep = related.filter(([i]) => {
        if (!jobs.upgrade.has(i)) return true
        // an installed package being updated counts only if its best updates still provide it
        const kc = jobs.keepClause.get(i)
        const ups = kc === undefined ? [] : Array.from(clauses.literals(kc)).filter((p) => p > 0 && p !== i)
        if (!ups.length) return false
        return rank(staticView, ups, "update").some((p) => providers.has(p))
      })
    if (!keep.length) continue
    // if every way an installed package can go still meets the requirement, there is no choice to make
    const needed = keep.some(([i]) => {
      const kc = jobs.keepClause.get(i)
      if (kc === undefined) return true
      return Array.from(clauses.literals(kc)).some((p) => p > 0 && !providers.has(p))
    })
    if (!needed) continue
    const ch = clauses.add([...negs, ...new Set(keep.map(([, p]) => p))], R.CHOICE, clauses.src.data[c]!, clauses.dep.data[c]!)
    clauses.weak.data[ch] = 1
    jobs.choice.set(c, ch)
  }
}

/**
 * After a solution: a choice clause whose requirement ended up met by a package outside it
 * (installed for some other reason) steered the search for nothing — libsolv's "unneeded choice
 * rule". It is dropped, with every choice clause whose requirement that package could also meet,
 * and the caller solves again. Returns whether anything was dropped.
 */
export const dropUnneededChoices = ({ clauses, jobs, value }: { clauses: Clauses; jobs: JobRules; value: Int8Array }): boolean => {
  const dropped: number[] = []
  for (const [c, ch] of jobs.choice) {
    if (clauses.disabled.data[ch] || clauses.disabled.data[c]) continue
    const inChoice = new Set(Array.from(clauses.literals(ch)).filter((l) => l > 0))
    if (Array.from(clauses.literals(c)).some((l) => l > 0 && value[l] === 1 && !inChoice.has(l))) dropped.push(c)
  }
  if (!dropped.length) return false
  for (const c of dropped) {
    const ch = jobs.choice.get(c)!
    if (clauses.disabled.data[ch]) continue
    clauses.disabled.data[ch] = 1
    const inChoice = new Set(Array.from(clauses.literals(ch)).filter((l) => l > 0))
    const others = new Set(Array.from(clauses.literals(c)).filter((l) => l > 0 && !inChoice.has(l)))
    for (const [c2, ch2] of jobs.choice) if (!clauses.disabled.data[ch2] && Array.from(clauses.literals(c2)).some((l) => l > 0 && others.has(l))) clauses.disabled.data[ch2] = 1
  }
  return true
}
