/**
 * Dropping what a solution does not need. The search picks a provider for each requirement as it
 * meets it; a later pick can make an earlier one redundant (both satisfy the same requirement).
 * A new package can be left out when every clause it helps satisfy has another installed
 * literal — removing a package never violates a conflict — so this walks the new packages from
 * the last picked to the first and drops each such one. Packages that jobs, recommendations or
 * supplements chose stay.
 */
import type { Clauses } from "./clauses.js"
import { K, NKINDS } from "./package.js"
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
  // (linked lists, below); for each clause, how many installed literals meet it, or
  // MET when a package it names negatively is left out (then it needs no positive at all).
  const MET = 1 << 30
  const lits = clauses.lits.data
  const start = clauses.start.data
  const size = clauses.size.data
  const disabled = clauses.disabled.data
  // dense ids for the new packages of the solution (the only ones that can be dropped): the
  // index arrays below are sized by them, not by the pool — no loop over every package
  const dense = new Int32Array(pool.count + 1)
  let m = 0
  for (let k = 0; k < order.length; k++) {
    const s = order[k]!
    if (s > 0 && value[s] === 1 && !installed[s] && dense[s] === 0) dense[s] = ++m
  }
  const trueCount = new Int32Array(nOriginal)
  // each new package's occurrences, positive and negative, as linked lists made in the same walk
  // (no second pass over the clauses): head[x] the latest, occNext the one before, occClause
  // its clause; at most one occurrence per literal slot
  const posHead = new Int32Array(m + 1).fill(-1)
  const negHead = new Int32Array(m + 1).fill(-1)
  const occNext = new Int32Array(clauses.lits.length)
  const occClause = new Int32Array(clauses.lits.length)
  let nOcc = 0
  // one walk over each clause's literals: occurrences taken as they come, and taken back in the
  // rare case a later literal turns out to meet the clause (this runs cold, over every clause)
  for (let c = 0; c < nOriginal; c++) {
    if (disabled[c]) continue
    let n = 0
    const b = start[c]!
    const e = b + size[c]!
    let k = b
    for (; k < e; k++) {
      const l = lits[k]!
      if (l > 0) {
        if (value[l] === 1) n++
      } else if (value[-l] !== 1) break
      const x = dense[l > 0 ? l : -l]!
      if (x === 0) continue
      occClause[nOcc] = c
      if (l > 0) {
        occNext[nOcc] = posHead[x]!
        posHead[x] = nOcc++
      } else {
        occNext[nOcc] = negHead[x]!
        negHead[x] = nOcc++
      }
    }
    if (k === e) {
      trueCount[c] = n
      continue
    }
    trueCount[c] = MET
    // latest first: each is then the head of its list
    for (let j = k - 1; j >= b; j--) {
      const l = lits[j]!
      const x = dense[l > 0 ? l : -l]!
      if (x === 0) continue
      nOcc--
      if (l > 0) posHead[x] = occNext[posHead[x]!]!
      else negHead[x] = occNext[negHead[x]!]!
    }
  }
  // what the solution recommends stays: leaving it out would undo a weak dependency
  const recommended = new Uint8Array(pool.count)
  const depOff = pool.depOff.data
  const depData = pool.depData.data
  for (let k = 0; k < order.length; k++) {
    const s = order[k]!
    if (s <= 0 || value[s] !== 1) continue
    const at = depOff[s * NKINDS + K.recommends]!
    if (at === 0) continue
    for (let i = at; depData[i] !== 0; i++) {
      const d = depData[i]!
      if (pool.deps.isRich(d)) continue
      const ps = pool.whatprovides(d)
      for (let j = 0; j < ps.length; j++) recommended[ps[j]!] = 1
    }
  }
  const removed: number[] = []
  // later picks first; a package left out can make what only it needed removable, so repeat
  // until a pass removes nothing
  for (let changed = true, passes = 0; changed && passes < 16; passes++) {
    changed = false
    for (let k = order.length - 1; k >= 0; k--) {
      const p = order[k]!
      if (p <= 0 || installed[p] || value[p] !== 1 || keep.has(p) || recommended[p] === 1) continue
      const x = dense[p]!
      let needed = false
      for (let o = posHead[x]!; o !== -1; o = occNext[o]!)
        if (trueCount[occClause[o]!]! < 2) {
          needed = true
          break
        }
      if (needed) continue
      for (let o = posHead[x]!; o !== -1; o = occNext[o]!) trueCount[occClause[o]!]!--
      for (let o = negHead[x]!; o !== -1; o = occNext[o]!) trueCount[occClause[o]!] = MET
      value[p] = -1
      removed.push(p)
      changed = true
    }
  }
  return removed
}
