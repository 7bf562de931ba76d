/**
 * The clause store. A literal is +s ("install solvable s") or -s ("do not"); a clause is a
 * disjunction of literals kept in one flat array. Each clause remembers why it exists — its
 * kind, the package and dependency it came from, the other package of a conflict — so an
 * unsolvable job can be explained in dnf's words (problems.ts).
 */
import { IntVec } from "./vec.js"

/** Why a clause exists (libsolv's rule classes). */
export const R = {
  /** -s ∨ providers: s requires dep. */
  REQUIRES: 1,
  /** -s: nothing provides a requirement of s. */
  NOTHING_PROVIDES: 2,
  /** -s ∨ -other: s conflicts with dep, provided by other. */
  CONFLICTS: 3,
  /** -s ∨ -other: s obsoletes dep, provided by other. */
  OBSOLETES: 4,
  /** -s ∨ -other: two packages of one name (and color). */
  SAME_NAME: 5,
  /** -s: wrong arch or excluded. */
  NOT_INSTALLABLE: 6,
  /** -s ∨ -other: an installed package s obsoletes another installed one. */
  INSTALLED_OBSOLETES: 7,
  /** A rich dependency clause of s (one of several from its normal form). */
  RICH: 8,
  /** A rich conflict clause of s. */
  RICH_CONFLICTS: 9,
  /** A user request: install, erase, lock. `other` is the job index. */
  JOB: 16,
  /** i ∨ updates: keep installed package i or replace it by an update. */
  UPDATE: 17,
  /** Distribution upgrade: installed i must be replaced by a repository package. */
  DUP: 18,
  /** -s ∨ (providers related to installed packages): prefer updating to installing (weak). */
  CHOICE: 19,
  /** Derived during search from a conflict; `why` lists its antecedents. */
  LEARNT: 32,
} as const

export class Clauses {
  readonly lits = new IntVec(1 << 14)
  readonly start = new IntVec(1 << 12)
  readonly size = new IntVec(1 << 12)
  readonly kind = new IntVec(1 << 12)
  readonly src = new IntVec(1 << 12)
  readonly dep = new IntVec(1 << 12)
  readonly other = new IntVec(1 << 12)
  readonly disabled = new IntVec(1 << 12)
  /** Weak clauses may be dropped to break a conflict (update rules under allowUninstall). */
  readonly weak = new IntVec(1 << 12)
  private readonly pairs = new Map<number, number>()

  get count(): number {
    return this.start.length
  }

  add(lits: ArrayLike<number>, kind: number, src = 0, dep = 0, other = 0): number {
    const id = this.start.push(this.lits.length)
    for (let i = 0; i < lits.length; i++) this.lits.push(lits[i]!)
    this.size.push(lits.length)
    this.kind.push(kind)
    this.src.push(src)
    this.dep.push(dep)
    this.other.push(other)
    this.disabled.push(0)
    this.weak.push(0)
    return id
  }

  /** -a ∨ -b once per unordered pair (same-name and conflict rules are found from both ends). */
  addNegPair(a: number, b: number, kind: number, src: number, dep: number): number {
    const lo = a < b ? a : b
    const hi = a < b ? b : a
    const key = lo * 2 ** 26 + hi
    const seen = this.pairs.get(key)
    if (seen !== undefined) return seen
    const id = this.add([-a, -b], kind, src, dep, src === a ? b : a)
    this.pairs.set(key, id)
    return id
  }

  literals(c: number): Int32Array {
    const s = this.start.data[c]!
    return this.lits.data.subarray(s, s + this.size.data[c]!)
  }

  /** Drops clauses from `count` on (learnt clauses, before a restart). */
  truncate(count: number): void {
    if (count >= this.count) return
    const litsEnd = this.start.data[count]!
    this.lits.length = litsEnd
    for (const v of [this.start, this.size, this.kind, this.src, this.dep, this.other, this.disabled, this.weak]) v.length = count
  }
}
