/**
 * From a solution to a transaction: which packages are installed, erased, upgraded, downgraded,
 * reinstalled or obsoleted, classified as libsolv's transaction_base_type does — an erased
 * installed package replaced by a new one of the same name is an upgrade/downgrade/reinstall,
 * one replaced by a package obsoleting it is "obsoleted", anything else an erase.
 */
import { colorsMatch } from "./arch.js"
import { K } from "./package.js"
import { evrCompare } from "./policy.js"
import type { Pool } from "./pool.js"
import { obsoletesMatch } from "./rules.js"

export type StepKind = "install" | "erase" | "upgrade" | "downgrade" | "reinstall" | "obsolete"

export interface Step {
  readonly kind: StepKind
  /** The package installed (install) or removed (everything else). */
  readonly pkg: number
  /** The package replacing `pkg` (upgrade, downgrade, reinstall, obsolete). */
  readonly by?: number
}

export interface Transaction {
  readonly steps: ReadonlyArray<Step>
  /** Solvable ids installed after the transaction (kept + new), ascending. */
  readonly result: ReadonlyArray<number>
  /** New packages, ascending. */
  readonly installs: ReadonlyArray<number>
  /** Installed packages going away, ascending. */
  readonly erases: ReadonlyArray<number>
}

/** `candidates`: every package that may be in the solution (default: the whole pool), ascending. */
/** A multiversion package never replaces another version of its name: it is an install. */
export const makeTransaction = (pool: Pool, isTrue: (s: number) => boolean, candidates?: ArrayLike<number>, multiversion: ReadonlySet<number> = new Set()): Transaction => {
  const installs: number[] = []
  const erases: number[] = []
  const result: number[] = []
  const all = candidates ?? Array.from({ length: pool.count - 1 }, (_, k) => k + 1)
  for (let k = 0; k < all.length; k++) {
    const s = all[k]!
    const inst = pool.isInstalled(s)
    if (isTrue(s)) {
      result.push(s)
      if (!inst) installs.push(s)
    } else if (inst) erases.push(s)
  }
  const replaced = new Set<number>()
  const steps: Step[] = []
  for (const i of erases) {
    const name = pool.name.data[i]!
    let by = installs.find((p) => pool.name.data[p] === name && pool.arch.data[p] === pool.arch.data[i] && !multiversion.has(p))
    by ??= installs.find((p) => pool.name.data[p] === name && colorsMatch(pool.policy, pool.archOf(p), pool.archOf(i)) && !multiversion.has(p))
    if (by !== undefined) {
      replaced.add(by)
      const c = evrCompare(pool, by, i)
      steps.push({ kind: c > 0 ? "upgrade" : c < 0 ? "downgrade" : "reinstall", pkg: i, by })
      continue
    }
    const obs = installs.find((p) => !multiversion.has(p) && pool.depsOf(p, K.obsoletes).some((d) => obsoletesMatch(pool, d, i)))
    steps.push(obs !== undefined ? { kind: "obsolete", pkg: i, by: obs } : { kind: "erase", pkg: i })
  }
  for (const p of installs) if (!replaced.has(p)) steps.push({ kind: "install", pkg: p })
  return { steps, result, installs, erases }
}
