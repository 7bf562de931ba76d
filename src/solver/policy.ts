/**
 * Which package to pick when several would do — the decisions the search makes. In order, as
 * libsolv's policy_filter_unwanted: favored packages first (the last `favor` job wins), then the
 * repository with the highest priority, the best architecture class, the newest version of each
 * name, and packages some installed package recommends. What remains is ordered: installed
 * first, then the candidate pulling in the fewest new packages (requirements not yet met), then
 * by name and id, so every run gives the same answer.
 */
import { SENSE_EQUAL, SENSE_LESS } from "../formats/rpm/evr.js"
import { compareKeys } from "./evr.js"
import { K, NKINDS } from "./package.js"
import type { Pool } from "./pool.js"
import { richHolds } from "./rich-cnf.js"
import { obsoletesMatch } from "./rules.js"

export interface PolicyView {
  readonly pool: Pool
  /** Current assignment by solvable: 1 installed in the solution, -1 not, 0 undecided. */
  readonly value: Int8Array
  readonly installed: Uint8Array
  /** Favor rank by solvable: > 0 favored (later jobs higher), < 0 disfavored. */
  readonly favor: Map<number, number> | undefined
  /** Whether some package in the solution recommends s, or s supplements it. */
  recommended(s: number): boolean
  /** Whether some package in the solution suggests s, or s enhances it. */
  suggested(s: number): boolean
}

export type Mode = "choose" | "update"

export const evrCompare = (pool: Pool, a: number, b: number): number => {
  if (pool.evr.data[a] === pool.evr.data[b]) return 0
  const idx = pool.finalize()
  return compareKeys(idx.evr(pool.evr.data[a]!), idx.evr(pool.evr.data[b]!))
}

const pruneFavor = (v: PolicyView, list: number[]): number[] => {
  if (!v.favor || v.favor.size === 0) return list
  let best = -Infinity
  for (const s of list) best = Math.max(best, v.favor.get(s) ?? 0)
  return list.filter((s) => (v.favor!.get(s) ?? 0) === best)
}

const prunePriority = (v: PolicyView, list: number[]): number[] => {
  let best = -Infinity
  for (const s of list) if (!v.installed[s]) best = Math.max(best, v.pool.repoOf(s).priority)
  return list.filter((s) => v.installed[s] || v.pool.repoOf(s).priority === best)
}

const pruneArch = (v: PolicyView, list: number[]): number[] => {
  let best = 0
  for (const s of list) {
    const a = v.pool.archScoreOf(s)
    if (a > 1 && (best === 0 || a < best)) best = a
  }
  if (best === 0) return list
  const out = list.filter((s) => {
    const a = v.pool.archScoreOf(s)
    return a === 1 || (a !== 0 && ((a ^ best) & 0xffff0000) === 0)
  })
  return out.length ? out : list
}

/** One package per name: the newest; among equals the installed one, then the lowest id. */
const pruneVersion = (v: PolicyView, list: number[]): number[] => {
  const best = new Map<number, number>()
  for (const s of list) {
    const n = v.pool.name.data[s]!
    const b = best.get(n)
    if (b === undefined) {
      best.set(n, s)
      continue
    }
    const c = evrCompare(v.pool, s, b)
    if (c > 0 || (c === 0 && v.installed[s] && !v.installed[b])) best.set(n, s)
  }
  return best.size === list.length ? list : list.filter((s) => best.get(v.pool.name.data[s]!) === s)
}

/** Drop candidates another candidate obsoletes: picking the obsoleter would replace them anyway. */
const pruneObsoleted = (v: PolicyView, list: number[]): number[] => {
  const { pool } = v
  // only candidates with obsoletes can prune (rarely any): the pairwise check is for them alone
  const obsoleters = list.filter((o) => pool.depOff.data[o * NKINDS + K.obsoletes] !== 0)
  if (!obsoleters.length) return list.slice()
  const out = list.filter((s) => !obsoleters.some((o) => o !== s && pool.depsOf(o, K.obsoletes).some((d) => obsoletesMatch(pool, d, s))))
  return out.length ? out : list
}

const pruneRecommended = (v: PolicyView, list: number[]): number[] => {
  const rec = list.filter((s) => !v.installed[s] && v.recommended(s))
  if (!rec.length) return list
  return list.filter((s) => v.installed[s] || v.recommended(s))
}

/** Requirements of s that nothing in the solution satisfies yet: what picking s would pull in. */
export const newRequirements = (v: PolicyView, s: number): number => {
  const { pool, value } = v
  let n = 0
  const isTrue = (p: number): boolean => value[p] === 1
  for (const d of pool.depsOf(s, K.requires)) {
    if (pool.deps.isRich(d)) {
      if (!richHolds(pool, d, isTrue)) n++
      continue
    }
    const providers = pool.whatprovides(d)
    let met = false
    for (let i = 0; i < providers.length; i++)
      if (value[providers[i]!] === 1 || providers[i] === s) {
        met = true
        break
      }
    if (!met) n++
  }
  return n
}

const byName = (pool: Pool, a: number, b: number): number => {
  if (pool.name.data[a] === pool.name.data[b]) return a - b
  const x = pool.nameOf(a)
  const y = pool.nameOf(b)
  return x < y ? -1 : x > y ? 1 : a - b
}

/** The best candidates, unordered: one newest version per name, best arch and priority (forcebest). */
export const best = (v: PolicyView, cands: ReadonlyArray<number>): number[] => {
  let list = [...cands]
  if (list.length > 1) list = prunePriority(v, list)
  if (list.length > 1) list = pruneArch(v, list)
  if (list.length > 1) list = pruneVersion(v, list)
  return list
}

/** The candidates that survive the policy, best first. */
export const rank = (v: PolicyView, cands: ReadonlyArray<number>, mode: Mode = "choose"): number[] => {
  let list = [...cands]
  if (list.length > 1) list = pruneFavor(v, list)
  if (list.length > 1) list = prunePriority(v, list)
  if (list.length > 1) list = pruneArch(v, list)
  if (list.length > 1) list = pruneVersion(v, list)
  if (list.length > 1) list = pruneObsoleted(v, list)
  if (list.length > 1 && mode === "choose") list = pruneRecommended(v, list)
  if (list.length > 1) {
    const { pool } = v
    const key = new Map<number, { sug: number; inst: number; old: number; cost: number; prov: Map<number, [number, boolean]> }>()
    for (const s of list)
      key.set(s, {
        sug: v.installed[s] || v.suggested(s) ? 0 : 1,
        inst: v.installed[s] ? 0 : 1,
        old: !v.installed[s] && hasNewer(pool, s) ? 1 : 0,
        cost: v.installed[s] ? -1 : newRequirements(v, s),
        prov: versionedProvides(pool, s),
      })
    list.sort((a, b) => {
      const x = key.get(a)!
      const y = key.get(b)!
      return x.sug - y.sug || x.inst - y.inst || commonDep(pool, x.prov, y.prov) || x.old - y.old || x.cost - y.cost || byName(pool, a, b)
    })
  }
  return list
}

/** A newer package of the same name and arch exists (libsolv's dislike_old_versions). */
const hasNewer = (pool: Pool, s: number): boolean => {
  const name = pool.name.data[s]!
  for (const q of pool.finalize().byName(name)) {
    if (q === s || pool.name.data[q] !== name || pool.arch.data[q] !== pool.arch.data[s] || pool.isInstalled(q)) continue
    const pq = pool.repoOf(q).priority
    const ps = pool.repoOf(s).priority
    if (pq !== ps ? pq > ps : evrCompare(pool, q, s) > 0) return true
  }
  return false
}

/**
 * name → version of each `name = evr`, `name <= evr` or `name < evr` provide (a `<` counts just
 * below its version; hash-like versions are ignored), for libsolv's sort_by_common_dep.
 */
const versionedProvides = (pool: Pool, s: number): Map<number, [number, boolean]> => {
  const out = new Map<number, [number, boolean]>()
  for (const d of pool.depsOf(s, K.provides)) {
    if (!pool.isRelDep(d)) continue
    const f = pool.deps.relFlags(d)
    if (f !== SENSE_EQUAL && f !== (SENSE_EQUAL | SENSE_LESS) && f !== SENSE_LESS) continue
    const name = pool.deps.relA(d)
    if (name === pool.name.data[s]) continue
    const evr = pool.strings.str(pool.deps.relB(d))
    if (f === SENSE_EQUAL && evr.length >= 4 && /^[0-9a-f]+$/.test(evr)) continue
    out.set(name, [pool.deps.relB(d), f === SENSE_LESS])
  }
  return out
}

/** The candidate providing the higher version of a capability both provide comes first. */
const commonDep = (pool: Pool, a: Map<number, [number, boolean]>, b: Map<number, [number, boolean]>): number => {
  if (!a.size || !b.size) return 0
  const idx = pool.finalize()
  for (const [name, [ea, lta]] of a) {
    const y = b.get(name)
    if (y === undefined) continue
    const [eb, ltb] = y
    const c = ea === eb ? 0 : compareKeys(idx.evr(ea), idx.evr(eb))
    if (c) return -c
    if (lta !== ltb) return lta ? 1 : -1
  }
  return 0
}

export const choose = (v: PolicyView, cands: ReadonlyArray<number>, mode: Mode = "choose"): number =>
  cands.length === 1 ? cands[0]! : rank(v, cands, mode)[0]!
