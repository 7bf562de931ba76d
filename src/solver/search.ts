/**
 * The search: CDCL (sat.ts) driven by package policy. Decisions come in libsolv's order —
 * satisfy the jobs; keep each installed package (or move it to its best update when upgrading);
 * then, clause by clause, satisfy the requirements of packages already in the solution, picking
 * providers by policy (policy.ts); finally try weak dependencies (recommends, supplements), each
 * once. Whatever is still undecided at the end is not installed — that satisfies every remaining
 * clause, since each of them still has an undecided negative literal.
 */
import { R, type Clauses } from "./clauses.js"
import type { JobRules } from "./jobs.js"
import { K, NKINDS } from "./package.js"
import { choose, evrCompare, type PolicyView } from "./policy.js"
import type { Pool } from "./pool.js"
import { richHolds } from "./rich-cnf.js"
import type { Sat } from "./sat.js"

export interface SearchInput {
  readonly pool: Pool
  readonly clauses: Clauses
  readonly sat: Sat
  readonly jobs: JobRules
  readonly installed: Uint8Array
  /** Packages whose rules exist (rules.ts): the only ones a decision may pick. */
  readonly added: Uint8Array
  /** Clauses to scan for unmet requirements: originals only (learnt ones are implied). */
  readonly nOriginal: number
  readonly weakDeps: boolean
}

export interface SearchResult {
  /** -1 when a solution was found, else the clause of a conflict at level 0. */
  readonly conflict: number
  /** Packages installed because something recommends or supplements them. */
  readonly weakChosen: Set<number>
  /** Packages picked as an installed package's update (kept by minimization). */
  readonly updates: Set<number>
}

/** By clause kind: 1 for the kinds whose unmet clauses step 3 satisfies. */
const SCAN_KIND = new Uint8Array(64)
for (const k of [R.REQUIRES, R.RICH, R.RICH_CONFLICTS, R.UPDATE, R.DUP, R.JOB]) SCAN_KIND[k] = 1

export const search = (input: SearchInput): SearchResult => {
  const { pool, clauses, sat, jobs, installed, added, nOriginal, weakDeps } = input
  const value = sat.value
  const installedList = pool.installedIds()
  const upgradeFirst = installedList.filter((i) => jobs.upgrade.has(i))
  const recMark = new Uint8Array(pool.count)
  const sugMark = new Uint8Array(pool.count)
  let recUpTo = 0
  const view: PolicyView = {
    pool,
    value,
    installed,
    favor: jobs.favor,
    recommended: (s) => {
      refreshRecommended()
      return recMark[s] === 1
    },
    suggested: (s) => {
      refreshRecommended()
      if (sugMark[s] === 1) return true
      return pool.depOff.data[s * NKINDS + K.enhances] !== 0 && pool.depsOf(s, K.enhances).some((d) => richHolds(pool, d, (p) => value[p] === 1))
    },
  }
  // recommended-by-the-solution marks, rebuilt from the trail when it shrank
  const refreshRecommended = (): void => {
    if (!weakDeps) return
    if (recUpTo > sat.trailLen) {
      recMark.fill(0)
      sugMark.fill(0)
      recUpTo = 0
    }
    const trail = sat.trail
    const off = pool.depOff.data
    const data = pool.depData.data
    for (; recUpTo < sat.trailLen; recUpTo++) {
      const l = trail[recUpTo]!
      if (l < 0) continue
      markProviders(off[l * NKINDS + K.recommends]!, data, recMark)
      markProviders(off[l * NKINDS + K.suggests]!, data, sugMark)
    }
  }
  /** Marks the providers of the plain dependencies of one list (depData from `at`, 0-ended). */
  const markProviders = (at: number, data: Int32Array, mark: Uint8Array): void => {
    if (at === 0) return
    for (let i = at; data[i] !== 0; i++) {
      const d = data[i]!
      if (pool.deps.isRich(d)) continue
      const ps = pool.whatprovides(d)
      for (let k = 0; k < ps.length; k++) mark[ps[k]!] = 1
    }
  }

  const jobClauseList = jobs.jobClauses.flat().filter((c) => clauses.size.data[c]! > 1)
  // the clauses step 3 visits, in clause order; made on its first visit (by dropSettled)
  const scanList = new Int32Array(nOriginal)
  let nScan = -1
  let cursor = 0
  const weakChosen = new Set<number>()
  const updates = new Set<number>()
  const triedWeak = new Set<number>()
  const supplementers: number[] = []
  if (weakDeps) for (const s of pool.supplementers()) if (added[s] && !installed[s]) supplementers.push(s)

  // A clause met at level 0 stays met for the whole search (level 0 is never undone): it is
  // dropped from the scan whenever level 0 has grown, keeping the others' order and the cursor's
  // place among them — step 3 then visits a few hundred clauses per decision, not thousands.
  let settledAt = -1
  const dropSettled = (): void => {
    const n0 = sat.decisionLevel === 0 ? sat.trailLen : sat.levelStart[0]!
    if (n0 === settledAt) return
    settledAt = n0
    const level = sat.level
    const lits = clauses.lits.data
    const start = clauses.start.data
    const size = clauses.size.data
    // the first time, straight from the clause store: each clause of a scanned kind
    const first = nScan < 0
    const kind = clauses.kind.data
    const disabled = clauses.disabled.data
    let w = 0
    let at = -1
    for (let i = 0, n = first ? nOriginal : nScan; i < n; i++) {
      let c = i
      if (first) {
        if (SCAN_KIND[kind[c]!] !== 1 || disabled[c] !== 0) continue
      } else {
        c = scanList[i]!
        if (i === cursor) at = w
      }
      let met = false
      for (let k = start[c]!, e = k + size[c]!; k < e; k++) {
        const l = lits[k]!
        const v = l > 0 ? l : -l
        if ((l > 0 ? value[v]! : -value[v]!) > 0 && level[v] === 0) {
          met = true
          break
        }
      }
      if (!met) scanList[w++] = c
    }
    cursor = first ? 0 : at < 0 ? w : at
    nScan = w
  }

  const isTrue = (p: number): boolean => value[p] === 1
  const anyTrue = (ps: Int32Array): boolean => {
    for (let k = 0; k < ps.length; k++) if (value[ps[k]!] === 1) return true
    return false
  }

  const inferiorArch = (s: number): boolean => {
    const a = pool.archScoreOf(s)
    if (a <= 1) return false
    const name = pool.name.data[s]!
    const same = pool.finalize().byName(name)
    for (let k = 0; k < same.length; k++) {
      const q = same[k]!
      const b = pool.archScoreOf(q)
      if (q !== s && pool.name.data[q] === name && b > 1 && (b & 0xffff0000) < (a & 0xffff0000)) return true
    }
    return false
  }

  /** Undecided positive literals of clause c if it is unmet and its packages are all in; else null. */
  const openPositives = (c: number): number[] | null => {
    // read through the store's arrays (no subarray per clause: this runs ~40k times a solve,
    // mostly before the JIT has optimized it); learning may have replaced them since last time
    const lits = clauses.lits.data
    const from = clauses.start.data[c]!
    const to = from + clauses.size.data[c]!
    let out: number[] | null = null
    for (let k = from; k < to; k++) {
      const l = lits[k]!
      const v = l > 0 ? value[l]! : -value[-l]!
      if (v > 0) return null
      if (v === 0) {
        if (l < 0) return null // can still be met by leaving that package out
        ;(out ??= []).push(l)
      }
    }
    return out
  }

  const nextDecision = (): number => {
    // 1. jobs; an installed package that satisfies a request keeps it satisfied, unless it is
    //    being upgraded (libsolv prunes a job's candidates to installed ones the same way)
    for (const c of jobClauseList) {
      if (clauses.disabled.data[c]) continue
      const open = openPositives(c)
      if (!open) continue
      const kept = open.filter((p) => installed[p] && !jobs.upgrade.has(p))
      return choose(view, kept.length ? kept : open)
    }
    // 2. installed packages: first those being upgraded, moved to their best candidate (or kept
    //    when nothing better is left, or it is the same version), then the rest, kept
    for (const i of upgradeFirst) {
      if (value[i] !== 0) continue
      const kc = jobs.keepClause.get(i)
      if (kc === undefined || clauses.disabled.data[kc]) return i
      let others = (openPositives(kc) ?? []).filter((p) => p !== i)
      const t = jobs.targets.get(i)
      if (t) others = others.filter((p) => t.has(p))
      if (!others.length) return i
      const best = choose(view, others, "update")
      if (pool.name.data[best] === pool.name.data[i] && evrCompare(pool, best, i) === 0) return i
      updates.add(best)
      return best
    }
    for (const i of installedList) if (value[i] === 0) return i
    // 3. requirements of what is in, one clause at a time, cycling from where we stopped; a
    //    choice clause (jobs.ts) narrows a requirement to updates of installed packages
    dropSettled()
    const lits = clauses.lits.data
    const start = clauses.start.data
    const size = clauses.size.data
    for (let n = 0; n < nScan; n++, cursor++) {
      if (cursor >= nScan) cursor = 0
      const c = scanList[cursor]!
      // openPositives' test inline, without its list: nearly every clause is met or can still be
      let unmet = false
      for (let k = start[c]!, e = k + size[c]!; k < e; k++) {
        const l = lits[k]!
        const v = l > 0 ? value[l]! : -value[-l]!
        if (v > 0 || (v === 0 && l < 0)) {
          unmet = false
          break
        }
        if (v === 0) unmet = true
      }
      if (!unmet) continue
      const open = openPositives(c)!
      const ch = jobs.choice.get(c)
      const narrowed = ch !== undefined && !clauses.disabled.data[ch] ? openPositives(ch) : null
      return choose(view, narrowed ?? open)
    }
    if (!weakDeps) return 0
    // 4. weak dependencies of newly installed packages, each tried once
    const off = pool.depOff.data
    const data = pool.depData.data
    for (let t = 0; t < sat.trailLen; t++) {
      const s = sat.trail[t]!
      if (s < 0 || installed[s]) continue
      const at = off[s * NKINDS + K.recommends]!
      if (at === 0) continue
      for (let k = 0; data[at + k] !== 0; k++) {
        const key = s * 4096 + Math.min(k, 4095)
        if (triedWeak.has(key)) continue
        const d = data[at + k]!
        if (pool.deps.isRich(d) ? richHolds(pool, d, isTrue) : anyTrue(pool.whatprovides(d))) continue
        triedWeak.add(key)
        const cands = Array.from(pool.whatprovides(d)).filter((p) => value[p] === 0 && added[p] && (jobs.favor.get(p) ?? 0) >= 0)
        if (!cands.length) continue
        const pick = choose(view, cands)
        weakChosen.add(pick)
        return pick
      }
    }
    // supplements: every package whose supplements now hold, best first, none of an inferior
    // arch when its name has a better one (no i686 multilib pulled in by a supplement)
    const sup: number[] = []
    for (const s of supplementers) {
      if (value[s] !== 0 || triedWeak.has(-s) || (jobs.favor.get(s) ?? 0) < 0 || inferiorArch(s)) continue
      if (pool.depsOf(s, K.supplements).some((d) => richHolds(pool, d, isTrue))) sup.push(s)
    }
    if (sup.length) {
      const pick = choose(view, sup)
      triedWeak.add(-pick)
      weakChosen.add(pick)
      return pick
    }
    return 0
  }

  for (;;) {
    const confl = sat.propagate()
    if (confl >= 0) {
      if (sat.decisionLevel === 0) return { conflict: confl, weakChosen, updates }
      sat.learn(confl)
      continue
    }
    const lit = nextDecision()
    if (lit === 0) break
    sat.decide(lit)
  }
  // what is still undecided is not installed: callers read value[s] === 1 as "installed"
  for (const s of weakChosen) if (value[s] !== 1) weakChosen.delete(s)
  for (const s of updates) if (value[s] !== 1) updates.delete(s)
  return { conflict: -1, weakChosen, updates }
}
