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
  /**
   * The number of clauses. The columns' own lengths are brought up to it only when they grow
   * or shrink: a clause record is then a few stores into arrays held here, not two property
   * writes per column (rule building adds ~15k clauses, before the JIT has optimized it).
   */
  private n = 0
  private cStart = this.start.data
  private cSize = this.size.data
  private cKind = this.kind.data
  private cSrc = this.src.data
  private cDep = this.dep.data
  private cOther = this.other.data
  /** Open addressing over unordered pairs (lo, hi): slots hold lo, hi; 0 = empty. */
  private pairTable = new Int32Array(1 << 14)
  private pairCount = 0

  get count(): number {
    return this.n
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
   * Appends a clause's record. `disabled` and `weak` start at 0 without a write: new column
   * space is zeroed, and truncate() zeroes what it drops.
   */
  private meta(start: number, n: number, kind: number, src: number, dep: number, other: number): number {
    const id = this.n
    if (id === this.cStart.length) this.growColumns(id + 1)
    this.cStart[id] = start
    this.cSize[id] = n
    this.cKind[id] = kind
    this.cSrc[id] = src
    this.cDep[id] = dep
    this.cOther[id] = other
    this.n = id + 1
    return id
  }

  private growColumns(min: number): void {
    for (const v of this.columns()) {
      v.length = this.n
      v.grow(min)
    }
    this.cStart = this.start.data
    this.cSize = this.size.data
    this.cKind = this.kind.data
    this.cSrc = this.src.data
    this.cDep = this.dep.data
    this.cOther = this.other.data
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
    return this.addImplicationRange(first, rest, 0, rest.length, kind, src, dep)
  }

  /** first ∨ rest[lo] ∨ … ∨ rest[hi - 1]. */
  addImplicationRange(first: number, rest: ArrayLike<number>, lo: number, hi: number, kind: number, src: number, dep: number): number {
    const lits = this.lits
    const at = lits.length
    const end = at + 1 + hi - lo
    if (end > lits.data.length) lits.grow(end)
    const d = lits.data
    d[at] = first
    for (let i = lo, j = at + 1; i < hi; i++, j++) d[j] = rest[i]!
    lits.length = end
    return this.meta(at, end - at, kind, src, dep, 0)
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
    if (count >= this.n) return
    const litsEnd = this.start.data[count]!
    this.lits.length = litsEnd
    // meta() writes neither: a later clause in these slots must find them 0
    this.disabled.data.fill(0, count, this.n)
    this.weak.data.fill(0, count, this.n)
    this.n = count
    for (const v of this.columns()) v.length = count
  }
}
