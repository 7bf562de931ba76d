/**
 * What a user's words name: `bash`, `bash.x86_64`, `bash-5.2.15-1.fc40.x86_64`,
 * `bash-0:5.2.15`, a glob `python3-*`, a capability `libfoo.so.1()(64bit)` or `foo >= 2`,
 * or a path `/usr/bin/sh`. Tried in dnf's order: package name, then NEVRA forms, then provides,
 * then files.
 */
import { compareEvr, parseEvr } from "../formats/rpm/evr.js"
import type { Pool } from "./pool.js"
import { NOARCH } from "./arch.js"

export interface Selection {
  /** The user's words, for messages. */
  readonly text: string
  readonly how: "name" | "nevra" | "provides" | "file" | "pkg" | "glob"
  /** Matching solvables, ascending. */
  readonly solvables: ReadonlyArray<number>
}

const isGlob = (s: string): boolean => /[*?[]/.test(s)

const globRegex = (g: string): RegExp =>
  new RegExp(`^${g.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".").replace(/\[!/g, "[^")}$`)

/** Packages named exactly `name`. */
export const byName = (pool: Pool, name: string): number[] => {
  const id = pool.strings.lookup(name)
  if (id === undefined) return []
  return Array.from(pool.finalize().byName(id)).filter((s) => pool.name.data[s] === id)
}

/** Does solvable s match the EVR fragment a user typed ("1.2", "1.2-3", "2:1.2-3")? */
const evrMatches = (pool: Pool, s: number, evr: string): boolean => {
  const want = parseEvr(evr)
  const have = parseEvr(pool.evrOf(s))
  if (want.epoch !== undefined && (want.epoch || "0") !== (have.epoch ?? "0")) return false
  if (want.version !== have.version) return false
  return want.release === undefined || want.release === have.release
}

const arches = (pool: Pool): Set<string> => {
  const out = new Set<string>(NOARCH)
  for (let s = 1; s < pool.count; s++) out.add(pool.archOf(s))
  return out
}

/** The NEVRA forms: name.arch, name-version, name-version-release, with or without arch. */
export const selectNevra = (pool: Pool, spec: string): number[] => {
  const tries: Array<{ name: string; evr?: string; arch?: string }> = []
  const known = arches(pool)
  const dot = spec.lastIndexOf(".")
  const forms = [{ base: spec, arch: undefined as string | undefined }]
  if (dot > 0 && known.has(spec.slice(dot + 1))) forms.unshift({ base: spec.slice(0, dot), arch: spec.slice(dot + 1) })
  for (const { base, arch } of forms) {
    if (arch !== undefined) tries.push({ name: base, arch })
    const d1 = base.lastIndexOf("-")
    if (d1 > 0) {
      const d2 = base.lastIndexOf("-", d1 - 1)
      if (d2 > 0) tries.push({ name: base.slice(0, d2), evr: base.slice(d2 + 1), arch })
      tries.push({ name: base.slice(0, d1), evr: base.slice(d1 + 1), arch })
    }
  }
  for (const t of tries) {
    const found = byName(pool, t.name).filter((s) => (t.arch === undefined || pool.archOf(s) === t.arch) && (t.evr === undefined || evrMatches(pool, s, t.evr)))
    if (found.length) return found
  }
  return []
}

/** Packages providing a capability ("name", "name op evr"). */
export const selectProvides = (pool: Pool, cap: string): number[] => {
  const m = /^\s*(\S+)\s*(<=|>=|=<|=>|==|=|<|>)\s*(\S+)\s*$/.exec(cap)
  const flags = m ? { "<": 2, ">": 4, "=": 8, "==": 8, "<=": 10, "=<": 10, ">=": 12, "=>": 12 }[m[2]!]! : 0
  const name = m ? m[1]! : cap.trim()
  if (!name.startsWith("(") && pool.strings.lookup(name) === undefined) return []
  return Array.from(pool.whatprovides(pool.dep(name, flags, m ? m[3]! : "")))
}

/** Packages owning a path: from the provider index when some package requires it, else by scanning file lists. */
export const selectFile = (pool: Pool, path: string): number[] => {
  const id = pool.strings.lookup(path)
  const indexed = id === undefined ? [] : Array.from(pool.finalize().byName(id))
  if (indexed.length) return indexed
  const out: number[] = []
  if (id === undefined) return out
  for (let s = 1; s < pool.count; s++) if (pool.filesOf(s).includes(id)) out.push(s)
  return out
}

export const selectGlob = (pool: Pool, glob: string): number[] => {
  const re = globRegex(glob)
  const out: number[] = []
  const ok = new Map<number, boolean>()
  for (let s = 1; s < pool.count; s++) {
    const n = pool.name.data[s]!
    let hit = ok.get(n)
    if (hit === undefined) ok.set(n, (hit = re.test(pool.strings.str(n))))
    if (hit) out.push(s)
  }
  return out
}

/** Resolves a user's spec; an empty selection means nothing matched. */
export const select = (pool: Pool, spec: string): Selection => {
  if (spec.startsWith("/")) return { text: spec, how: "file", solvables: isGlob(spec) ? [] : selectFile(pool, spec) }
  const named = byName(pool, spec)
  if (named.length) return { text: spec, how: "name", solvables: named }
  if (isGlob(spec)) return { text: spec, how: "glob", solvables: selectGlob(pool, spec) }
  const nevra = selectNevra(pool, spec)
  if (nevra.length) return { text: spec, how: "nevra", solvables: nevra }
  return { text: spec, how: "provides", solvables: selectProvides(pool, spec) }
}

/** The newest of a list by EVR (for "install foo" printing and tests). */
export const newest = (pool: Pool, list: ReadonlyArray<number>): number | undefined =>
  list.reduce<number | undefined>((best, s) => (best === undefined || compareEvr(pool.evrOf(s), pool.evrOf(best)) > 0 ? s : best), undefined)
