/**
 * Dropping what a solution does not need. The search picks a provider for each requirement as it
 * meets it; a later pick can make an earlier one redundant (both satisfy the same requirement).
 * A new package can be left out when every clause it helps satisfy has another installed
 * literal — removing a package never violates a conflict — so this walks the new packages from
 * the last picked to the first and drops each such one. Packages that jobs, recommendations or
 * supplements chose stay.
 */
import { R, type Clauses } from "./clauses.js"
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
  const occ = new Map<number, number[]>()
  const trueCount = new Int32Array(nOriginal)
  for (let c = 0; c < nOriginal; c++) {
    if (clauses.disabled.data[c] || clauses.kind.data[c] === R.LEARNT) continue
    for (const l of clauses.literals(c)) {
      if (l <= 0) continue
      if (value[l] === 1) trueCount[c]!++
      if (!installed[l] && value[l] === 1) {
        const o = occ.get(l)
        if (o) o.push(c)
        else occ.set(l, [c])
      }
    }
  }
  // what the solution recommends stays: leaving it out would undo a weak dependency
  const recommended = new Set<number>()
  for (let s = 1; s < pool.count; s++)
    if (value[s] === 1) for (const d of pool.depsOf(s, K.recommends)) if (!pool.deps.isRich(d)) for (const p of pool.whatprovides(d)) recommended.add(p)
  const removed: number[] = []
  for (let k = order.length - 1; k >= 0; k--) {
    const p = order[k]!
    if (p <= 0 || installed[p] || value[p] !== 1 || keep.has(p) || recommended.has(p)) continue
    const cs = occ.get(p) ?? []
    if (!cs.every((c) => trueCount[c]! >= 2)) continue
    for (const c of cs) trueCount[c]!--
    value[p] = -1
    removed.push(p)
  }
  return removed
}
