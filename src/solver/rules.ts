/**
 * Package rules: the clauses that say what installing a package implies — its requirements
 * (-s ∨ providers), its conflicts and obsoletes (-s ∨ -other), one package per name and color,
 * and -s for a package that cannot be installed at all. Built lazily, as libsolv does: starting
 * from the packages a job or the installed set names, a package's rules are added when it first
 * appears as a possible provider, so a 63k-package repository costs only the part of the graph
 * the job can reach. A package never added never gets a positive literal in any clause, so it
 * stays uninstalled.
 */
import { SENSE_EQUAL, rangesOverlap } from "../formats/rpm/evr.js"
import { R, type Clauses } from "./clauses.js"
import { REL_BIT } from "./deps.js"
import { K, NKINDS } from "./package.js"
import type { Pool } from "./pool.js"
import { richCnf, richHolds, RichTooComplex } from "./rich-cnf.js"

export class PackageRules {
  /** 1 once a package's rules exist. */
  readonly added: Uint8Array
  private readonly queue: number[] = []
  private readonly installedMark: Uint8Array
  /** Packages with supplements, for the weak-dependency closure. */
  private supplementers: number[] | undefined

  constructor(readonly pool: Pool, readonly clauses: Clauses, readonly weakDeps: boolean) {
    this.added = new Uint8Array(pool.count)
    this.installedMark = new Uint8Array(pool.count)
    for (const i of pool.installedIds()) this.installedMark[i] = 1
  }

  isInstalled(s: number): boolean {
    return this.installedMark[s] === 1
  }

  /** Queues packages and adds the rules of everything they can pull in. */
  add(list: ArrayLike<number>): void {
    for (let i = 0; i < list.length; i++) if (!this.added[list[i]!]) this.queue.push(list[i]!)
    this.drain()
  }

  /** Also adds packages whose supplements match a package already in play (until nothing changes). */
  addSupplementers(): void {
    if (!this.weakDeps) return
    const { pool } = this
    if (!this.supplementers) {
      this.supplementers = []
      for (let s = 1; s < pool.count; s++) if (pool.depOff.data[s * NKINDS + K.supplements] !== 0) this.supplementers.push(s)
    }
    for (let changed = true; changed; ) {
      changed = false
      for (const s of this.supplementers) {
        if (this.added[s] || !pool.installable(s)) continue
        const sup = pool.depsOf(s, K.supplements)
        if (sup.some((d) => richHolds(pool, d, (p) => this.added[p] === 1))) {
          this.queue.push(s)
          changed = true
        }
      }
      this.drain()
    }
  }

  private drain(): void {
    while (this.queue.length) {
      const s = this.queue.pop()!
      if (this.added[s]) continue
      this.added[s] = 1
      this.addRules(s)
    }
  }

  private push(list: ArrayLike<number>): void {
    for (let i = 0; i < list.length; i++) if (!this.added[list[i]!]) this.queue.push(list[i]!)
  }

  private addRules(s: number): void {
    const { pool, clauses } = this
    const installed = this.isInstalled(s)
    if (!installed && !pool.installable(s)) {
      clauses.add([-s], R.NOT_INSTALLABLE, s)
      return
    }
    const deps = pool.deps
    const isInst = (p: number): boolean => this.installedMark[p] === 1
    for (const d of pool.depsOf(s, K.requires)) {
      if (deps.isRich(d)) {
        // an installed package that is already broken stays as it is (libsolv's dontfix)
        if (installed && !richHolds(pool, d, isInst)) continue
        this.richClauses(s, d, false)
        continue
      }
      const providers = pool.whatprovides(d)
      if (installed && !providers.some(isInst)) continue
      if (providers.includes(s)) continue // a package satisfies its own requirement
      if (providers.length === 0) clauses.add([-s], R.NOTHING_PROVIDES, s, d)
      else {
        const lits = new Int32Array(providers.length + 1)
        lits[0] = -s
        lits.set(providers, 1)
        clauses.add(lits, R.REQUIRES, s, d)
        this.push(providers)
      }
    }
    for (const d of pool.depsOf(s, K.conflicts)) {
      if (deps.isRich(d)) {
        this.richClauses(s, d, true)
        continue
      }
      for (const p of pool.whatprovides(d)) {
        // self-conflicts are ignored; installed/installed conflicts are not ours to repair
        if (p === s || (installed && isInst(p))) continue
        clauses.addNegPair(s, p, R.CONFLICTS, s, d)
      }
    }
    for (const d of pool.depsOf(s, K.obsoletes)) {
      for (const p of pool.whatprovides(d)) {
        if (p === s || (installed && isInst(p)) || !obsoletesMatch(pool, d, p)) continue
        clauses.addNegPair(s, p, installed ? R.INSTALLED_OBSOLETES : R.OBSOLETES, s, d)
      }
    }
    if (!installed) {
      const name = pool.name.data[s]!
      for (const p of pool.finalize().byName(name)) {
        if (p === s || pool.name.data[p] !== name || !pool.sameNameClash(s, p)) continue
        clauses.addNegPair(s, p, R.SAME_NAME, s, 0)
      }
    }
    if (this.weakDeps)
      for (const d of pool.depsOf(s, K.recommends)) {
        const providers = pool.whatprovides(d)
        this.push(providers)
      }
  }

  private richClauses(s: number, d: number, conflict: boolean): void {
    const { pool, clauses } = this
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
      for (const l of c) if (l > 0 && !this.added[l]) this.queue.push(l)
    }
  }
}

/** Obsoletes match package names, not provides: `Obsoletes: foo < 2` hits foo-1.x only. */
export const obsoletesMatch = (pool: Pool, d: number, p: number): boolean => {
  const deps = pool.deps
  if (d < REL_BIT) return pool.name.data[p] === d
  if (deps.isRich(d) || deps.relA(d) !== pool.name.data[p]) return false
  const index = pool.finalize()
  return rangesOverlap({ evr: index.evr(pool.evr.data[p]!), flags: SENSE_EQUAL }, { evr: index.evr(deps.relB(d)), flags: deps.relFlags(d) })
}
