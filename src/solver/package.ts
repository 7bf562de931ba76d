/**
 * What the pool is built from: one record per package, independent of where it came from (an
 * rpm-md primary.xml, an rpmdb header, a test case). Dependencies are rpm's (name, sense flags,
 * "[epoch:]version[-release]"); a rich dependency is its text in `name`, e.g. "(a or b)".
 */
import type { Dep } from "../formats/rpm/evr.js"

export type DepKind = "provides" | "requires" | "conflicts" | "obsoletes" | "recommends" | "suggests" | "supplements" | "enhances"

/** Order of the kinds in the pool's per-package dependency table. */
export const KINDS: ReadonlyArray<DepKind> = ["provides", "requires", "conflicts", "obsoletes", "recommends", "suggests", "supplements", "enhances"]
export const K = { provides: 0, requires: 1, conflicts: 2, obsoletes: 3, recommends: 4, suggests: 5, supplements: 6, enhances: 7 } as const
export const NKINDS = 8

export interface PackageInput {
  readonly name: string
  /** "" or undefined for no epoch; "0" is the same as none. */
  readonly epoch?: string | undefined
  readonly version: string
  readonly release: string
  readonly arch: string
  readonly provides?: ReadonlyArray<Dep>
  readonly requires?: ReadonlyArray<Dep>
  readonly conflicts?: ReadonlyArray<Dep>
  readonly obsoletes?: ReadonlyArray<Dep>
  readonly recommends?: ReadonlyArray<Dep>
  readonly suggests?: ReadonlyArray<Dep>
  readonly supplements?: ReadonlyArray<Dep>
  readonly enhances?: ReadonlyArray<Dep>
  /** Every file the package owns (for file dependencies such as /usr/bin/sh). */
  readonly files?: ReadonlyArray<string>
}

/** rpm's EVR text without a zero epoch, as libsolv stores it: "1:2.0-3", "2.0-3", "2.0". */
export const evrText = (epoch: string | number | undefined, version: string, release: string | undefined): string => {
  const e = epoch === undefined || epoch === null ? "" : `${epoch}`
  return `${e && e !== "0" ? `${e}:` : ""}${version}${release ? `-${release}` : ""}`
}

/** Drops a "0:" epoch from a dependency's EVR text, so equal versions intern to one id. */
export const normalizeDepEvr = (evr: string): string => (evr.startsWith("0:") ? evr.slice(2) : evr)
