/**
 * Dependencies stored in a header: for each kind, parallel name / flags / version arrays.
 * Rich dependencies (`(a or b)`) are names starting with '(' and are kept as written.
 */
import { numbers, strings, type Header } from "./header.js"
import { T } from "./tags.js"
import type { Dep } from "./evr.js"

export type DepKind = "provides" | "requires" | "conflicts" | "obsoletes" | "recommends" | "suggests" | "supplements" | "enhances"

export const DEP_KINDS: ReadonlyArray<DepKind> = ["provides", "requires", "conflicts", "obsoletes", "recommends", "suggests", "supplements", "enhances"]

const tags: Record<DepKind, readonly [number, number, number]> = {
  provides: [T.PROVIDENAME, T.PROVIDEFLAGS, T.PROVIDEVERSION],
  requires: [T.REQUIRENAME, T.REQUIREFLAGS, T.REQUIREVERSION],
  conflicts: [T.CONFLICTNAME, T.CONFLICTFLAGS, T.CONFLICTVERSION],
  obsoletes: [T.OBSOLETENAME, T.OBSOLETEFLAGS, T.OBSOLETEVERSION],
  recommends: [T.RECOMMENDNAME, T.RECOMMENDFLAGS, T.RECOMMENDVERSION],
  suggests: [T.SUGGESTNAME, T.SUGGESTFLAGS, T.SUGGESTVERSION],
  supplements: [T.SUPPLEMENTNAME, T.SUPPLEMENTFLAGS, T.SUPPLEMENTVERSION],
  enhances: [T.ENHANCENAME, T.ENHANCEFLAGS, T.ENHANCEVERSION],
}

/** RPMSENSE bits beyond the comparison operators. */
export const SENSE = {
  PREREQ: 1 << 6, PRETRANS: 1 << 7, INTERP: 1 << 8, SCRIPT_PRE: 1 << 9, SCRIPT_POST: 1 << 10, SCRIPT_PREUN: 1 << 11,
  SCRIPT_POSTUN: 1 << 12, SCRIPT_VERIFY: 1 << 13, FIND_REQUIRES: 1 << 14, FIND_PROVIDES: 1 << 15, MISSINGOK: 1 << 19,
  POSTTRANS: 1 << 5, RPMLIB: 1 << 24, CONFIG: 1 << 28,
} as const

export const depTags = (kind: DepKind): readonly [number, number, number] => tags[kind]

export const deps = (h: Header, kind: DepKind): Dep[] => {
  const [nt, ft, vt] = tags[kind]
  const names = strings(h, nt)
  const flags = numbers(h, ft)
  const versions = strings(h, vt)
  return names.map((name, i) => ({ name, flags: flags[i] ?? 0, evr: versions[i] ?? "" }))
}

export const isRich = (name: string): boolean => name.startsWith("(")
export { formatDep as formatDepOf } from "./evr.js"
