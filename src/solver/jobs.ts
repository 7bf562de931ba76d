/**
 * Jobs — what the user asks for — and the clauses they and the installed set contribute:
 * job clauses (install one of these; never install these; keep this exactly), update clauses
 * (each installed package stays or is replaced by one of its updates) and distupgrade clauses
 * (each installed package is replaced by what the repositories have, even an older version).
 */
import { R, type Clauses } from "./clauses.js"
import { K, NKINDS } from "./package.js"
import { best, evrCompare, type PolicyView } from "./policy.js"
import type { Pool } from "./pool.js"
import { obsoletesMatch, type PackageRules } from "./rules.js"
import type { Selection } from "./selection.js"

export type Job =
  /** weak: dropped silently when it cannot be satisfied; best: only the best candidate will do. */
  | { readonly op: "install"; readonly what: Selection; readonly cleandeps?: boolean; readonly weak?: boolean; readonly best?: boolean }
  | { readonly op: "erase"; readonly what: Selection; readonly cleandeps?: boolean; readonly weak?: boolean }
  /** `what` undefined: every installed package. */
  | { readonly op: "upgrade"; readonly what?: Selection; readonly cleandeps?: boolean; readonly best?: boolean }
  | { readonly op: "distupgrade"; readonly what?: Selection; readonly cleandeps?: boolean }
  /** Keep installed matches exactly as they are; never install the others. */
  | { readonly op: "lock"; readonly what: Selection }
  | { readonly op: "favor" | "disfavor"; readonly what: Selection }
  /** These packages install beside other versions of their name (dnf's installonlypkgs). */
  | { readonly op: "multiversion"; readonly what: Selection }

export interface JobRules {
  /** Per job: its clause ids (install: one; erase/lock: one per package). */
  readonly jobClauses: number[][]
  /** Update or distupgrade clause of each installed package that has one. */
  readonly keepClause: Map<number, number>
  /** Installed packages the search should move to their best candidate. */
  readonly upgrade: Set<number>
  /** For an upgrade that named repository packages: the ones each installed package may move to. */
  readonly targets: Map<number, Set<number>>
  readonly favor: Map<number, number>
  /** Installed packages a job erases with cleandeps, or replaces under a cleandeps job. */
  readonly cleandeps: boolean
  /** Requirement clause → its choice clause (choice.ts). */
  readonly choice: Map<number, number>
  readonly replacements: Replacements
}

/** Installed packages' same-name updates and obsoleters, by name, built once per solve. */
export class Replacements {
  private obsoleters: Map<number, number[]> | undefined

  constructor(private readonly pool: Pool, private readonly installed: Uint8Array) {}

  private byObsoletedName(name: number): number[] {
    if (!this.obsoleters) {
      const m = new Map<number, number[]>()
      const { pool } = this
      for (let s = 1; s < pool.count; s++) {
        if (this.installed[s] || pool.depOff.data[s * NKINDS + K.obsoletes] === 0) continue
        for (const d of pool.depsOf(s, K.obsoletes)) {
          const n = pool.deps.nameOf(d)
          if (!n) continue
          const l = m.get(n)
          if (!l) m.set(n, [s])
          else if (l[l.length - 1] !== s) l.push(s)
        }
      }
      this.obsoleters = m
    }
    return this.obsoleters.get(name) ?? []
  }

  /** Repository packages that may replace installed i: same name (newer, unless `any`), or obsoleting it. */
  of(i: number, any: boolean): number[] {
    const { pool } = this
    const name = pool.name.data[i]!
    const ai = pool.archScoreOf(i)
    const out: number[] = []
    for (const p of pool.finalize().byName(name)) {
      if (this.installed[p] || pool.name.data[p] !== name || !pool.installable(p)) continue
      if (!pool.sameNameClash(i, p)) continue
      const ap = pool.archScoreOf(p)
      // an arch change across classes (x86_64 → i686) is not an update
      if (ai > 1 && ap > 1 && ((ai ^ ap) & 0xffff0000) !== 0) continue
      if (any || evrCompare(pool, p, i) > 0) out.push(p)
    }
    for (const p of this.byObsoletedName(name)) {
      if (!pool.installable(p) || pool.name.data[p] === name) continue
      if (pool.depsOf(p, K.obsoletes).some((d) => obsoletesMatch(pool, d, i))) out.push(p)
    }
    return out
  }

  /** A repository package identical to installed i (same name, evr and arch). */
  same(i: number): number | undefined {
    const { pool } = this
    for (const p of pool.finalize().byName(pool.name.data[i]!))
      if (!this.installed[p] && pool.name.data[p] === pool.name.data[i] && pool.evr.data[p] === pool.evr.data[i] && pool.arch.data[p] === pool.arch.data[i]) return p
    return undefined
  }
}

export const addJobRules = ({ pool, clauses, rules, jobs, allowUninstall, keepOrphans = false }: { pool: Pool; clauses: Clauses; rules: PackageRules; jobs: ReadonlyArray<Job>; allowUninstall: boolean; keepOrphans?: boolean }): JobRules => {
  const installed = pool.installedIds()
  const mark = new Uint8Array(pool.count)
  for (const i of installed) mark[i] = 1
  const repl = new Replacements(pool, mark)
  const jobClauses: number[][] = []
  const erased = new Set<number>()
  const dup = new Set<number>()
  const upgrade = new Set<number>()
  const favor = new Map<number, number>()
  let dupAll = false
  // upgrade jobs that insist on each package's best update (their indexes)
  const bestUpdate: number[] = []
  const staticView: PolicyView = { pool, value: new Int8Array(pool.count), installed: mark, favor: undefined, recommended: () => false, suggested: () => false }
  const targets = new Map<number, Set<number>>()
  const locked = new Set<number>()
  let cleandeps = false
  // packages a lock keeps out: no best candidate may be one of them
  const lockedOut = new Set<number>()
  for (const job of jobs) if (job.op === "lock") for (const s of job.what.solvables) if (!mark[s]) lockedOut.add(s)
  jobs.forEach((job, j) => {
    const ids: number[] = []
    jobClauses.push(ids)
    const sel = job.what?.solvables ?? []
    switch (job.op) {
      case "install": {
        const cands = sel.filter((s) => mark[s] || pool.installable(s))
        rules.add(cands)
        ids.push(clauses.add(cands, R.JOB, 0, 0, j))
        if (job.best && cands.length > 1) {
          const top = best(staticView, cands.filter((s) => !lockedOut.has(s)))
          if (top.length < cands.length) ids.push(clauses.add(top, R.BEST, 0, 0, j))
        }
        if (job.cleandeps) cleandeps = true
        if (job.weak) for (const c of ids) clauses.weak.data[c] = 1
        break
      }
      case "erase":
        for (const s of sel) {
          ids.push(clauses.add([-s], R.JOB, s, 0, j))
          if (mark[s]) erased.add(s)
        }
        if (job.weak) for (const c of ids) clauses.weak.data[c] = 1
        if (job.cleandeps) cleandeps = true
        break
      case "lock":
        for (const s of sel) {
          ids.push(clauses.add([mark[s] ? s : -s], R.JOB, s, 0, j))
          if (mark[s]) locked.add(s)
        }
        break
      case "upgrade":
        if (job.best) bestUpdate.push(j)
        if (!job.what) for (const i of installed) upgrade.add(i)
        else {
          const inst = sel.filter((s) => mark[s])
          for (const i of inst) upgrade.add(i)
          // naming only repository packages targets them: each installed package they would
          // replace moves to one of them, if it can
          if (!inst.length) {
            const members = new Set(sel.filter((s) => !mark[s]))
            for (const i of installed) {
              const t = repl.of(i, true).filter((p) => members.has(p))
              if (!t.length) continue
              upgrade.add(i)
              targets.set(i, new Set(t))
              rules.add(t)
            }
          }
        }
        if (job.cleandeps) cleandeps = true
        break
      case "distupgrade": {
        if (!job.what) dupAll = true
        const inst = !job.what ? installed : sel.filter((s) => mark[s])
        for (const i of inst) {
          dup.add(i)
          upgrade.add(i)
        }
        if (job.what && !inst.length) {
          // as for upgrade: named repository packages are the targets
          const members = new Set(sel.filter((s) => !mark[s]))
          for (const i of installed) {
            const t = repl.of(i, true).filter((p) => members.has(p))
            if (!t.length) continue
            dup.add(i)
            upgrade.add(i)
            targets.set(i, new Set(t))
          }
        }
        if (job.cleandeps) cleandeps = true
        break
      }
      case "multiversion":
        break // read by solve() before any rule exists
      case "favor":
      case "disfavor":
        for (const s of sel) favor.set(s, job.op === "favor" ? j + 1 : -(j + 1))
        break
    }
  })
  rules.add(installed)
  const keepClause = new Map<number, number>()
  for (const i of installed) {
    // an erased package needs no keep clause; a locked one is kept by its lock
    if (erased.has(i) || locked.has(i)) continue
    let c: number
    if (dup.has(i)) {
      const cands = repl.of(i, true)
      const same = repl.same(i)
      if (cands.length) {
        // staying is allowed only as the identical package the repositories still carry
        const lits = same !== undefined ? [i, ...cands] : cands
        rules.add(cands)
        c = clauses.add(lits, R.DUP, i)
      } else {
        // an orphan stays — unless a full distupgrade may drop it to get the rest through
        c = clauses.add([i], R.UPDATE, i)
        if (dupAll && !keepOrphans) clauses.weak.data[c] = 1
      }
    } else {
      const ups = repl.of(i, false)
      rules.add(ups)
      c = clauses.add([i, ...ups], R.UPDATE, i)
    }
    if (allowUninstall) clauses.weak.data[c] = 1
    keepClause.set(i, c)
    // best=True for an upgrade: the newest candidate, or a problem that says so
    if (bestUpdate.length && upgrade.has(i) && !dup.has(i)) {
      const ups = repl.of(i, false).filter((p) => !lockedOut.has(p) && (!targets.has(i) || targets.get(i)!.has(p)))
      if (ups.length) jobClauses[bestUpdate[0]!]!.push(clauses.add(best(staticView, ups), R.BEST, i, 0, bestUpdate[0]!))
    }
  }
  return { jobClauses, keepClause, upgrade, targets, favor, cleandeps, choice: new Map(), replacements: repl }
}
