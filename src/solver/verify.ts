/**
 * An independent check of a solution: given the packages that would be installed, is every
 * requirement met and no conflict, obsolete or same-name clash present? It shares nothing with
 * the solver — no pool, no provider index, no clauses — only rpm's version matching
 * (formats/rpm/evr.ts) and its own small rich-dependency evaluator, so tests and benchmarks can
 * trust it to judge both strata's and libsolv's answers.
 */
import { depMatches, formatDep, operatorSense, type Dep } from "../formats/rpm/evr.js"
import { NOARCH } from "./arch.js"
import type { PackageInput } from "./package.js"

const key = (p: PackageInput): string => `${p.name}-${p.epoch && p.epoch !== "0" ? `${p.epoch}:` : ""}${p.version}-${p.release}.${p.arch}`

class Installed {
  private readonly byProvide = new Map<string, Array<{ p: PackageInput; d: Dep }>>()
  private readonly byFile = new Map<string, PackageInput[]>()

  constructor(readonly pkgs: ReadonlyArray<PackageInput>) {
    for (const p of pkgs) {
      const self: Dep = { name: p.name, flags: operatorSense("="), evr: `${p.epoch && p.epoch !== "0" ? `${p.epoch}:` : ""}${p.version}-${p.release}` }
      for (const d of [self, ...(p.provides ?? [])]) {
        const l = this.byProvide.get(d.name)
        if (l) l.push({ p, d })
        else this.byProvide.set(d.name, [{ p, d }])
      }
      for (const f of p.files ?? []) {
        const l = this.byFile.get(f)
        if (l) l.push(p)
        else this.byFile.set(f, [p])
      }
    }
  }

  providers(want: Dep): PackageInput[] {
    const out = new Set<PackageInput>()
    for (const { p, d } of this.byProvide.get(want.name) ?? []) if (depMatches(d, want)) out.add(p)
    if (want.name.startsWith("/")) for (const p of this.byFile.get(want.name) ?? []) out.add(p)
    return [...out]
  }
}

/** Evaluates a rich dependency against the installed set; `conflict` reads if/unless as rpm's Conflicts do. */
const richHolds = (text: string, inst: Installed, conflict: boolean, self?: PackageInput): boolean => {
  const toks = text.match(/\(|\)|[^\s()]+(?:\([^\s]*?\))*[^\s()]*/g) ?? []
  let i = 0
  const atom = (): boolean => {
    if (toks[i] === "(") return expr()
    const name = toks[i++]!
    let dep: Dep = { name, flags: 0, evr: "" }
    if (/^(<|>|=|<=|>=|==)$/.test(toks[i] ?? "")) {
      dep = { name, flags: operatorSense(toks[i]!), evr: toks[i + 1]! }
      i += 2
    }
    return inst.providers(dep).some((p) => p !== self)
  }
  const expr = (): boolean => {
    i++ // "("
    let acc = atom()
    while (toks[i] !== ")") {
      const op = toks[i++]
      if (op === "and") acc = atom() && acc
      else if (op === "or") acc = atom() || acc
      else if (op === "if" || op === "unless") {
        const c = atom() === (op === "if")
        let alt: boolean | undefined
        if (toks[i] === "else") {
          i++
          alt = atom()
        }
        acc = conflict ? (c ? acc : (alt ?? false)) : c ? acc : (alt ?? true)
      } else if (op === "with" || op === "without") {
        // with/without need one package matching both sides: check by provider sets
        throw new Error("with")
      } else throw new Error(`bad rich dependency ${text}`)
    }
    i++
    return acc
  }
  return expr()
}

/** Providers of a rich `with`/`without` dependency are rare; judge those by their leaves' names. */
const holds = (d: Dep, inst: Installed, conflict: boolean, self?: PackageInput): boolean => {
  if (!d.name.startsWith("(")) return inst.providers(d).some((p) => p !== self || !conflict)
  try {
    return richHolds(d.name, inst, conflict, conflict ? self : undefined)
  } catch (e) {
    if ((e as Error).message !== "with") throw e
    return !conflict
  }
}

/** Every violation of the installed set, as one sentence each; [] means the solution is valid. */
export const checkSolution = (pkgs: ReadonlyArray<PackageInput>): string[] => {
  const inst = new Installed(pkgs)
  const out: string[] = []
  const byName = new Map<string, PackageInput[]>()
  for (const p of pkgs) {
    for (const d of p.requires ?? []) {
      if (d.name.startsWith("rpmlib(")) continue
      if (!holds(d, inst, false, p)) out.push(`${key(p)} requires ${formatDep(d)}, which nothing installed provides`)
    }
    for (const d of p.conflicts ?? []) {
      if (d.name.startsWith("(")) {
        if (holds(d, inst, true, p)) out.push(`${key(p)} conflicts with ${d.name}`)
        continue
      }
      for (const q of inst.providers(d)) if (q !== p) out.push(`${key(p)} conflicts with ${formatDep(d)} provided by ${key(q)}`)
    }
    for (const d of p.obsoletes ?? [])
      for (const q of inst.providers(d))
        if (q !== p && q.name === d.name && depMatches({ name: q.name, flags: operatorSense("="), evr: `${q.epoch && q.epoch !== "0" ? `${q.epoch}:` : ""}${q.version}-${q.release}` }, d))
          out.push(`${key(p)} obsoletes ${formatDep(d)}, but ${key(q)} is installed`)
    const l = byName.get(p.name)
    if (l) l.push(p)
    else byName.set(p.name, [p])
  }
  const color = (a: string): number => (NOARCH.has(a) ? 3 : a === "s390x" || a.includes("64") ? 2 : 1)
  for (const [, l] of byName)
    for (let a = 0; a < l.length; a++)
      for (let b = a + 1; b < l.length; b++)
        if (l[a]!.arch === l[b]!.arch || (color(l[a]!.arch) & color(l[b]!.arch)) !== 0) out.push(`both ${key(l[a]!)} and ${key(l[b]!)} are installed`)
  return out
}
