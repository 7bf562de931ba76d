/**
 * Package rules: the clauses that say what installing a package implies — its requirements
 * (-s ∨ providers), its conflicts and obsoletes (-s ∨ -other), one package per name and color,
 * and -s for a package that cannot be installed at all. Built lazily, as libsolv does: starting
 * from the packages a job or the installed set names, a package's rules are added when it first
 * appears as a possible provider, so a 63k-package repository costs only the part of the graph
 * the job can reach. A package never added never gets a positive literal in any clause, so it
 * stays uninstalled.
 */
import { SENSE_EQUAL } from "../formats/rpm/evr.js"
import { keysOverlap } from "./evr.js"
import { R, type Clauses } from "./clauses.js"
import { Op, REL_BIT } from "./deps.js"
import { K, NKINDS } from "./package.js"
import type { Pool } from "./pool.js"
import { richCnf, richHolds, RichTooComplex } from "./rich-cnf.js"

export class PackageRules {
  /** 1 once a package's rules exist, 2 while it waits in the queue. */
  readonly added: Uint8Array
  /** The added packages, in the order they were added. */
  readonly list: number[] = []
  /** Packages waiting for their rules (a stack: each package is queued at most once). */
  private readonly queue: Int32Array
  private queued = 0
  private readonly installedMark: Uint8Array
  /** 1 for a package with conflict-like pairs in `pending`. */
  private readonly hasPending: Uint8Array
  /**
   * Conflict-like pairs waiting for their other package to be added: until then it cannot be
   * installed and the clause would only cost memory (Debian's Breaks lists name hundreds).
   * Flat: [s, kind, dep] triples by the waiting package.
   */
  private readonly pending = new Map<number, number[]>()
  /** Scratch for orProviders: the literals of one clause and a mark per solvable. */
  private orLits = new Int32Array(64)
  private readonly orMark: Uint8Array

  /**
   * `multiversion`: packages that install side by side with other versions of their name
   * (dnf's installonlypkgs: kernels); their explicit obsoletes count only with
   * `keepExplicitObsoletes`.
   */
  constructor(
    readonly pool: Pool,
    readonly clauses: Clauses,
    readonly weakDeps: boolean,
    readonly multiversion: ReadonlySet<number> = new Set(),
    readonly keepExplicitObsoletes = false,
  ) {
    this.added = new Uint8Array(pool.count)
    this.queue = new Int32Array(pool.count)
    this.installedMark = new Uint8Array(pool.count)
    this.hasPending = new Uint8Array(pool.count)
    this.orMark = new Uint8Array(pool.count)
    for (const i of pool.installedIds()) this.installedMark[i] = 1
  }

  isInstalled(s: number): boolean {
    return this.installedMark[s] === 1
  }

  /** Queues packages and adds the rules of everything they can pull in. */
  add(list: ArrayLike<number>): void {
    this.push(list)
    this.drain()
  }

  /** Also adds packages whose supplements match a package already in play (until nothing changes). */
  addSupplementers(): void {
    if (!this.weakDeps) return
    const { pool } = this
    const supplementers = pool.supplementers()
    if (!supplementers.length) return
    for (let changed = true; changed; ) {
      changed = false
      for (const s of supplementers) {
        if (this.added[s] === 1 || !pool.installable(s)) continue
        const sup = pool.depsOf(s, K.supplements)
        if (sup.some((d) => richHolds(pool, d, (p) => this.added[p] === 1))) {
          this.push([s])
          changed = true
        }
      }
      this.drain()
    }
  }

  private drain(): void {
    const { queue, added, list } = this
    while (this.queued > 0) {
      const s = queue[--this.queued]!
      if (added[s] === 1) continue
      added[s] = 1
      list.push(s)
      if (this.hasPending[s] === 1) {
        this.hasPending[s] = 0
        const waiting = this.pending.get(s)!
        this.pending.delete(s)
        for (let k = 0; k < waiting.length; k += 3) this.clauses.addNegPair(waiting[k]!, s, waiting[k + 1]!, waiting[k]!, waiting[k + 2]!)
      }
      this.addRules(s)
    }
  }

  /** -s ∨ -p now if p is in play, else when p is added. */
  private pair(s: number, p: number, kind: number, dep: number): void {
    if (this.added[p]) {
      this.clauses.addNegPair(s, p, kind, s, dep)
      return
    }
    const w = this.pending.get(p)
    if (w) w.push(s, kind, dep)
    else {
      this.pending.set(p, [s, kind, dep])
      this.hasPending[p] = 1
    }
  }

  /** Queues each package once (a provider like glibc is named by thousands of requirements). */
  private push(list: ArrayLike<number>): void {
    this.pushRange(list, 0, list.length)
  }

  /** push() of list[lo, hi). */
  private pushRange(list: ArrayLike<number>, lo: number, hi: number): void {
    const { added, queue } = this
    let n = this.queued
    for (let i = lo; i < hi; i++) {
      const p = list[i]!
      if (added[p] === 0) {
        added[p] = 2
        queue[n++] = p
      }
    }
    this.queued = n
  }

  // addRules runs once per package the job can reach (thousands), nearly always before V8 has
  // optimized it: the loops read the pool's arrays through locals and look names' providers up
  // in the index's arrays directly, with no subarray, iterator or closure per dependency.
  private addRules(s: number): void {
    const { pool, clauses, installedMark } = this
    const installed = installedMark[s] === 1
    if (!installed && !pool.installable(s)) {
      clauses.add1(-s, R.NOT_INSTALLABLE, s, 0)
      return
    }
    const deps = pool.deps
    const relFlags = deps.flags.data
    const index = pool.finalize()
    const nameOff = index.off
    const nameList = index.list
    const nNames = nameOff.length - 1
    const off = pool.depOff.data
    const data = pool.depData.data
    const at = off[s * NKINDS + K.requires]!
    if (at !== 0)
      for (let i = at; data[i] !== 0; i++) {
        const d = data[i]!
        if (d >= REL_BIT && relFlags[d & ~REL_BIT]! >= Op.AND) {
          // an installed package that is already broken stays as it is (libsolv's dontfix)
          if (installed && !richHolds(pool, d, (p) => installedMark[p] === 1)) continue
          this.richClauses(s, d, false)
          continue
        }
        const arr = index.range(d)
        const lo = index.lo
        const hi = index.hi
        let self = false
        let anyInstalled = false
        for (let k = lo; k < hi; k++) {
          const p = arr[k]!
          if (p === s) self = true
          if (installedMark[p] === 1) anyInstalled = true
        }
        if (installed && !anyInstalled) continue
        if (self) continue // a package satisfies its own requirement
        if (lo === hi) clauses.add1(-s, R.NOTHING_PROVIDES, s, d)
        else {
          clauses.addImplicationRange(-s, arr, lo, hi, R.REQUIRES, s, d)
          this.pushRange(arr, lo, hi)
        }
      }
    const atC = off[s * NKINDS + K.conflicts]!
    if (atC !== 0)
      for (let i = atC; data[i] !== 0; i++) {
        const d = data[i]!
        if (d >= REL_BIT && relFlags[d & ~REL_BIT]! >= Op.AND) {
          this.richClauses(s, d, true)
          continue
        }
        const ps = index.range(d)
        for (let k = index.lo, hi = index.hi; k < hi; k++) {
          const p = ps[k]!
          // self-conflicts are ignored; installed/installed conflicts are not ours to repair
          if (p === s || (installed && installedMark[p] === 1)) continue
          this.pair(s, p, R.CONFLICTS, d)
        }
      }
    const multi = this.multiversion.size !== 0 && this.multiversion.has(s)
    const atO = !multi || this.keepExplicitObsoletes ? off[s * NKINDS + K.obsoletes]! : 0
    if (atO !== 0)
      for (let i = atO; data[i] !== 0; i++) {
        const d = data[i]!
        const ps = index.whatprovides(d)
        for (let k = 0; k < ps.length; k++) {
          const p = ps[k]!
          if (p === s || (installed && installedMark[p] === 1) || !obsoletesMatch(pool, d, p)) continue
          this.pair(s, p, installed ? R.INSTALLED_OBSOLETES : R.OBSOLETES, d)
        }
      }
    if (!installed) {
      const names = pool.name.data
      const name = names[s]!
      const hi = name < nNames ? nameOff[name + 1]! : 0
      for (let k = name < nNames ? nameOff[name]! : 0; k < hi; k++) {
        const p = nameList[k]!
        if (p === s || names[p] !== name || !pool.sameNameClash(s, p)) continue
        // a multiversion package coexists with other versions of its name (installed or not)
        // unless an installed one is not multiversion; two copies of one NEVRA never coexist
        if (multi && (pool.evr.data[p] !== pool.evr.data[s] || pool.arch.data[p] !== pool.arch.data[s]) && (installedMark[p] !== 1 || this.multiversion.has(p))) continue
        this.pair(s, p, R.SAME_NAME, 0)
      }
    }
    const atR = this.weakDeps ? off[s * NKINDS + K.recommends]! : 0
    if (atR !== 0)
      for (let i = atR; data[i] !== 0; i++) {
        const d = data[i]!
        const ps = index.range(d)
        this.pushRange(ps, index.lo, index.hi)
      }
  }

  /**
   * A requirement `(a or b or …)` over plain names and relations — every alternative group of a
   * Debian-style graph — is one clause: the union of the providers, in the order richCnf's
   * distribution would give (each branch's providers, first occurrence kept), built without
   * the CNF's arrays and sets. Returns the literal count, or -1 for any other shape.
   */
  private orProviders(d: number): number {
    const { deps } = this.pool
    let n = 1 // orLits[0] is left for -s
    const walk = (x: number): boolean => {
      if (x >= REL_BIT && deps.relFlags(x) >= Op.AND) {
        if (deps.relFlags(x) !== Op.OR) return false
        return walk(deps.relA(x)) && walk(deps.relB(x))
      }
      const ps = this.pool.whatprovides(x)
      if (n + ps.length > this.orLits.length) {
        const grown = new Int32Array(Math.max(2 * this.orLits.length, n + ps.length))
        grown.set(this.orLits.subarray(0, n))
        this.orLits = grown
      }
      const lits = this.orLits
      const mark = this.orMark
      for (let k = 0; k < ps.length; k++) {
        const p = ps[k]!
        if (mark[p] === 0) {
          mark[p] = 1
          lits[n++] = p
        }
      }
      return true
    }
    const ok = walk(d)
    for (let k = 1; k < n; k++) this.orMark[this.orLits[k]!] = 0
    return ok ? n : -1
  }

  private richClauses(s: number, d: number, conflict: boolean): void {
    const { pool, clauses } = this
    if (!conflict) {
      const n = this.orProviders(d)
      if (n >= 0) {
        const lits = this.orLits
        for (let k = 1; k < n; k++) if (lits[k] === s) return // satisfied by s itself
        lits[0] = -s
        if (n === 1) clauses.add1(-s, R.NOTHING_PROVIDES, s, d)
        else {
          clauses.add(lits.subarray(0, n), R.RICH, s, d)
          this.push(lits.subarray(1, n))
        }
        return
      }
    }
    let cnf
    try {
      cnf = richCnf(pool, d, conflict, conflict)
    } catch (e) {
      if (!(e instanceof RichTooComplex)) throw e
      clauses.add([-s], conflict ? R.RICH_CONFLICTS : R.NOTHING_PROVIDES, s, d)
      return
    }
    for (const c of cnf) {
      if (c.includes(s)) continue // satisfied by s itself
      const lits = [-s, ...c.filter((l) => l !== -s)]
      if (lits.length === 1) clauses.add(lits, conflict ? R.RICH_CONFLICTS : R.NOTHING_PROVIDES, s, d)
      else clauses.add(lits, conflict ? R.RICH_CONFLICTS : R.RICH, s, d)
      for (const l of c) if (l > 0) this.push([l])
    }
  }
}

/** Obsoletes match package names, not provides: `Obsoletes: foo < 2` hits foo-1.x only. */
export const obsoletesMatch = (pool: Pool, d: number, p: number): boolean => {
  const deps = pool.deps
  if (d < REL_BIT) return pool.name.data[p] === d
  if (deps.isRich(d) || deps.relA(d) !== pool.name.data[p]) return false
  const index = pool.finalize()
  return keysOverlap(index.evr(pool.evr.data[p]!), SENSE_EQUAL, index.evr(deps.relB(d)), deps.relFlags(d))
}
