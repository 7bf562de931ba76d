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
  /** The job's (or an installed package's update's) best candidates only: dnf's best=True. */
  BEST: 20,
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
  /** Open addressing over unordered pairs (lo, hi): slots hold lo, hi; 0 = empty. */
  private pairTable = new Int32Array(1 << 14)
  private pairCount = 0

  get count(): number {
    return this.start.length
  }

  add(lits: ArrayLike<number>, kind: number, src = 0, dep = 0, other = 0): number {
    const at = this.lits.length
    this.lits.grow(at + lits.length)
    const d = this.lits.data
    for (let i = 0; i < lits.length; i++) d[at + i] = lits[i]!
    this.lits.length = at + lits.length
    return this.meta(at, lits.length, kind, src, dep, other)
  }

  /**
   * Appends a clause's record to the eight columns: written in place after one capacity check
   * (eight push calls per clause were a tenth of the rule building before the JIT warms up).
   */
  private meta(start: number, n: number, kind: number, src: number, dep: number, other: number): number {
    const id = this.start.length
    if (id === this.start.data.length) for (const v of this.columns()) v.grow(id + 1)
    this.start.data[id] = start
    this.size.data[id] = n
    this.kind.data[id] = kind
    this.src.data[id] = src
    this.dep.data[id] = dep
    this.other.data[id] = other
    this.disabled.data[id] = 0
    this.weak.data[id] = 0
    this.start.length = this.size.length = this.kind.length = this.src.length = id + 1
    this.dep.length = this.other.length = this.disabled.length = this.weak.length = id + 1
    return id
  }

  private columns(): IntVec[] {
    return [this.start, this.size, this.kind, this.src, this.dep, this.other, this.disabled, this.weak]
  }

  /** A one-literal clause. */
  add1(l: number, kind: number, src: number, dep: number): number {
    const at = this.lits.push(l)
    return this.meta(at, 1, kind, src, dep, 0)
  }

  /** first ∨ rest[0] ∨ rest[1] ∨ … without building an array. */
  addImplication(first: number, rest: ArrayLike<number>, kind: number, src: number, dep: number): number {
    const at = this.lits.length
    this.lits.grow(at + rest.length + 1)
    const d = this.lits.data
    d[at] = first
    for (let i = 0; i < rest.length; i++) d[at + 1 + i] = rest[i]!
    this.lits.length = at + rest.length + 1
    return this.meta(at, rest.length + 1, kind, src, dep, 0)
  }

  /** -a ∨ -b once per unordered pair (same-name and conflict rules are found from both ends). */
  addNegPair(a: number, b: number, kind: number, src: number, dep: number): void {
    const lo = a < b ? a : b
    const hi = a < b ? b : a
    let t = this.pairTable
    let mask = (t.length >> 1) - 1
    let slot = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) >>> 0
    for (;;) {
      slot &= mask
      const x = t[slot * 2]!
      if (x === 0) break
      if (x === lo && t[slot * 2 + 1] === hi) return
      slot++
    }
    t[slot * 2] = lo
    t[slot * 2 + 1] = hi
    const at = this.lits.push(-a)
    this.lits.push(-b)
    this.meta(at, 2, kind, src, dep, src === a ? b : a)
    if (++this.pairCount * 2 > mask) {
      // grow: re-place every pair
      const old = t
      t = this.pairTable = new Int32Array(old.length * 2)
      mask = (t.length >> 1) - 1
      for (let i = 0; i < old.length; i += 2) {
        if (old[i] === 0) continue
        let sl = (Math.imul(old[i]!, 0x9e3779b1) ^ Math.imul(old[i + 1]!, 0x85ebca77)) >>> 0
        for (;;) {
          sl &= mask
          if (t[sl * 2] === 0) break
          sl++
        }
        t[sl * 2] = old[i]!
        t[sl * 2 + 1] = old[i + 1]!
      }
    }
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
    for (const v of this.columns()) v.length = count
  }
}
