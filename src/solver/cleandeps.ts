/**
 * Clean dependencies: when a job erases or replaces installed packages with `cleandeps`, the
 * installed packages that were only there for them go too. Candidates are what the departing
 * packages required (and recommended), transitively among installed packages; a candidate stays
 * when something that stays still needs it — a requirement with no staying provider outside the
 * candidates keeps all of its candidate providers.
 */
import { K } from "./package.js"
import type { Pool } from "./pool.js"
import { richHolds } from "./rich-cnf.js"

const providersOf = (pool: Pool, d: number, isTrue: (s: number) => boolean): number[] => {
  if (!pool.deps.isRich(d)) return Array.from(pool.whatprovides(d)).filter(isTrue)
  return richHolds(pool, d, isTrue) ? Array.from(pool.whatprovides(d)).filter(isTrue) : []
}

/** Returns the extra installed packages to erase; `value` is updated. */
export const cleanDeps = ({ pool, value, installed, userInstalled, candidates }: { pool: Pool; value: Int8Array; installed: Uint8Array; userInstalled?: ReadonlySet<number>; candidates: ArrayLike<number> }): number[] => {
  const isTrue = (s: number): boolean => value[s] === 1
  const gone = pool.installedIds().filter((i) => value[i] !== 1)
  const cand = new Set<number>()
  const queue = [...gone]
  while (queue.length) {
    const s = queue.pop()!
    for (const k of [K.requires, K.recommends])
      for (const d of pool.depsOf(s, k))
        for (const p of providersOf(pool, d, isTrue))
          if (installed[p] && !cand.has(p) && !userInstalled?.has(p)) {
            cand.add(p)
            queue.push(p)
          }
  }
  if (!cand.size) return []
  const needed = new Set<number>()
  const work: number[] = []
  for (let k = 0; k < candidates.length; k++) if (isTrue(candidates[k]!) && !cand.has(candidates[k]!)) work.push(candidates[k]!)
  while (work.length) {
    const s = work.pop()!
    for (const k of [K.requires, K.recommends])
      for (const d of pool.depsOf(s, k)) {
        const prov = providersOf(pool, d, isTrue)
        if (prov.some((p) => !cand.has(p) || needed.has(p))) continue
        for (const p of prov)
          if (!needed.has(p)) {
            needed.add(p)
            work.push(p)
          }
      }
  }
  const out = [...cand].filter((p) => !needed.has(p)).sort((a, b) => a - b)
  for (const p of out) value[p] = -1
  return out
}
