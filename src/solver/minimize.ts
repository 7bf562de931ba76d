/**
 * Dropping what a solution does not need. The search picks a provider for each requirement as it
 * meets it; a later pick can make an earlier one redundant (both satisfy the same requirement).
 * A new package can be left out when every clause it helps satisfy has another installed
 * literal — removing a package never violates a conflict — so this walks the new packages from
 * the last picked to the first and drops each such one. Packages that jobs, recommendations or
 * supplements chose stay.
 */
import type { Clauses } from "./clauses.js"
import { K } from "./package.js"
import type { Pool } from "./pool.js"

export interface MinimizeInput {
  readonly pool: Pool
  readonly clauses: Clauses
  readonly nOriginal: number
  readonly value: Int8Array
  readonly installed: Uint8Array
  /** True literals in the order they were assigned. */
  readonly order: ArrayLike<number>
  readonly keep: ReadonlySet<number>
}

/** Returns the packages it set to not installed. */
export const minimize = ({ pool, clauses, nOriginal, value, installed, order, keep }: MinimizeInput): number[] => {
  // For each new package in the solution: the clauses it appears in positively and negatively
  // (CSR over the true literals); for each clause, how many installed literals meet it, or
  // MET when a package it names negatively is left out (then it needs no positive at all).
  const MET = 1 << 30
  const lits = clauses.lits.data
  const start = clauses.start.data
  const size = clauses.size.data
  const posCount = new Int32Array(pool.count + 1)
  const negCount = new Int32Array(pool.count + 1)
  const trueCount = new Int32Array(nOriginal)
  for (let c = 0; c < nOriginal; c++) {
    if (clauses.disabled.data[c]) continue
    let n = 0
    const e = start[c]! + size[c]!
    for (let k = start[c]!; k < e; k++) {
      const l = lits[k]!
      if (l > 0) {
        if (value[l] === 1) n++
      } else if (value[-l] !== 1) {
        n = MET
        break
      }
    }
    trueCount[c] = n
    if (n === MET) continue
    for (let k = start[c]!; k < e; k++) {
      const l = lits[k]!
      if (l > 0) {
        if (value[l] === 1 && !installed[l]) posCount[l + 1]!++
      } else if (!installed[-l]) negCount[-l + 1]!++
    }
  }
  for (let s = 1; s <= pool.count; s++) {
    posCount[s]! += posCount[s - 1]!
    negCount[s]! += negCount[s - 1]!
  }
  const pos = new Int32Array(posCount[pool.count]!)
  const neg = new Int32Array(negCount[pool.count]!)
  const pf = posCount.slice(0, pool.count)
  const nf = negCount.slice(0, pool.count)
  for (let c = 0; c < nOriginal; c++) {
    if (clauses.disabled.data[c] || trueCount[c] === MET) continue
    for (let k = start[c]!, e = k + size[c]!; k < e; k++) {
      const l = lits[k]!
      if (l > 0) {
        if (value[l] === 1 && !installed[l]) pos[pf[l]!++] = c
      } else if (!installed[-l]) neg[nf[-l]!++] = c
    }
  }
  // what the solution recommends stays: leaving it out would undo a weak dependency
  const recommended = new Set<number>()
  for (let k = 0; k < order.length; k++) {
    const s = order[k]!
    if (s > 0 && value[s] === 1) for (const d of pool.depsOf(s, K.recommends)) if (!pool.deps.isRich(d)) for (const p of pool.whatprovides(d)) recommended.add(p)
  }
  const removed: number[] = []
  // later picks first; a package left out can make what only it needed removable, so repeat
  // until a pass removes nothing
  for (let changed = true, passes = 0; changed && passes < 16; passes++) {
    changed = false
    for (let k = order.length - 1; k >= 0; k--) {
      const p = order[k]!
      if (p <= 0 || installed[p] || value[p] !== 1 || keep.has(p) || recommended.has(p)) continue
      let needed = false
      for (let i = posCount[p]!; i < posCount[p + 1]!; i++)
        if (trueCount[pos[i]!]! < 2) {
          needed = true
          break
        }
      if (needed) continue
      for (let i = posCount[p]!; i < posCount[p + 1]!; i++) trueCount[pos[i]!]!--
      for (let i = negCount[p]!; i < negCount[p + 1]!; i++) trueCount[neg[i]!] = MET
      value[p] = -1
      removed.push(p)
      changed = true
    }
  }
  return removed
}
