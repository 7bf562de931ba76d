/**
 * Rich dependencies as clauses. A rich dependency is a boolean formula over "some provider of X
 * is installed"; a package's requirement R becomes the clauses of (-s ∨ R), a conflict the
 * clauses of (-s ∨ ¬R). The formula is put in conjunctive normal form by distributing `or` over
 * `and` (real rich dependencies are small; a cap keeps a hostile one from exploding).
 *
 * `if` and `unless` read differently by context, as in rpm and libsolv: in a requirement
 * `(A if B else C)` means (B → A) ∧ (¬B → C); in a conflict it names what must not be present,
 * (A ∧ B) ∨ (C ∧ ¬B).
 */
import { Op } from "./deps.js"
import type { Pool } from "./pool.js"

/** A clause: literals over solvables. A CNF: clauses; [] is true, [[]] is false. */
export type Cnf = number[][]

const MAX_CLAUSES = 4096

export class RichTooComplex extends Error {}

const TRUE: Cnf = []
const FALSE: Cnf = [[]]

const orCnf = (x: Cnf, y: Cnf): Cnf => {
  if (x.length === 0 || y.length === 0) return TRUE
  const out: Cnf = []
  for (const a of x)
    for (const b of y) {
      const merged = new Set(a)
      let taut = false
      for (const l of b) {
        if (merged.has(-l)) {
          taut = true
          break
        }
        merged.add(l)
      }
      if (!taut) out.push([...merged])
      if (out.length > MAX_CLAUSES) throw new RichTooComplex()
    }
  return out
}

const andCnf = (x: Cnf, y: Cnf): Cnf => {
  if (x.length === 1 && x[0]!.length === 0) return FALSE
  if (y.length === 1 && y[0]!.length === 0) return FALSE
  return [...x, ...y]
}

/**
 * CNF of dependency `d` (or of its negation when `neg`), with `if`/`unless` read in the
 * requirement sense or, when `conflict`, in the conflict sense.
 */
export const richCnf = (pool: Pool, d: number, neg: boolean, conflict: boolean): Cnf => {
  const deps = pool.deps
  const f = deps.isRich(d) ? deps.relFlags(d) : 0
  if (f === 0 || f === Op.WITH || f === Op.WITHOUT) {
    const providers = pool.whatprovides(d)
    if (neg) return Array.from(providers, (p) => [-p])
    return providers.length ? [Array.from(providers)] : FALSE
  }
  const a = deps.relA(d)
  const b = deps.relB(d)
  const cnf = (x: number, n: boolean): Cnf => richCnf(pool, x, n, conflict)
  switch (f) {
    case Op.AND:
      return neg ? orCnf(cnf(a, true), cnf(b, true)) : andCnf(cnf(a, false), cnf(b, false))
    case Op.OR:
      return neg ? andCnf(cnf(a, true), cnf(b, true)) : orCnf(cnf(a, false), cnf(b, false))
    case Op.IF:
    case Op.UNLESS: {
      const hasElse = deps.isRich(b) && deps.relFlags(b) === Op.ELSE
      const cond = hasElse ? deps.relA(b) : b
      const alt = hasElse ? deps.relB(b) : 0
      // for `unless` the condition is read inverted
      const c = (n: boolean): Cnf => cnf(cond, f === Op.IF ? n : !n)
      if (!conflict) {
        // (¬C ∨ A) ∧ (C ∨ E)
        if (!neg) return hasElse ? andCnf(orCnf(c(true), cnf(a, false)), orCnf(c(false), cnf(alt, false))) : orCnf(c(true), cnf(a, false))
        // (C ∧ ¬A) ∨ (¬C ∧ ¬E)
        return hasElse ? orCnf(andCnf(c(false), cnf(a, true)), andCnf(c(true), cnf(alt, true))) : andCnf(c(false), cnf(a, true))
      }
      // conflict sense: (A ∧ C) ∨ (E ∧ ¬C)
      if (!neg) return hasElse ? orCnf(andCnf(cnf(a, false), c(false)), andCnf(cnf(alt, false), c(true))) : andCnf(cnf(a, false), c(false))
      // (¬A ∨ ¬C) ∧ (¬E ∨ C)
      return hasElse ? andCnf(orCnf(cnf(a, true), c(true)), orCnf(cnf(alt, true), c(false))) : orCnf(cnf(a, true), c(true))
    }
    default:
      // ELSE outside IF/UNLESS: rpm rejects it; treat as unsatisfiable
      return neg ? TRUE : FALSE
  }
}

/** Whether rich dependency d holds when exactly the solvables with `isTrue` are installed. */
export const richHolds = (pool: Pool, d: number, isTrue: (s: number) => boolean, conflict = false): boolean => {
  const deps = pool.deps
  const f = deps.isRich(d) ? deps.relFlags(d) : 0
  const any = (x: number): boolean => {
    for (const p of pool.whatprovides(x)) if (isTrue(p)) return true
    return false
  }
  if (f === 0 || f === Op.WITH || f === Op.WITHOUT) return any(d)
  const a = deps.relA(d)
  const b = deps.relB(d)
  const h = (x: number): boolean => richHolds(pool, x, isTrue, conflict)
  switch (f) {
    case Op.AND:
      return h(a) && h(b)
    case Op.OR:
      return h(a) || h(b)
    case Op.IF:
    case Op.UNLESS: {
      const hasElse = deps.isRich(b) && deps.relFlags(b) === Op.ELSE
      const c = h(hasElse ? deps.relA(b) : b) === (f === Op.IF)
      const alt = hasElse ? deps.relB(b) : 0
      if (conflict) return c ? h(a) : hasElse && h(alt)
      return c ? h(a) : !hasElse || h(alt)
    }
    default:
      return false
  }
}
