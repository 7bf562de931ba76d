/**
 * Queries over loaded repositories, like `dnf repoquery`: which packages provide a capability
 * (a name, `name op evr`, or a file path), and what a package requires.
 */
import type { MdDep, MdPackage } from "../../formats/rpm/repomd.js"
import type { PackageTable } from "../../formats/rpm/package-table.js"
import { depMatches, formatEvr, operatorSense, type Dep } from "../../formats/rpm/evr.js"

const MD_FLAGS: Record<string, string> = { EQ: "=", LT: "<", GT: ">", LE: "<=", GE: ">=" }

/** An rpm-md dependency as an rpm Dep (flags + "[epoch:]ver[-rel]"). */
export const mdDep = (d: MdDep): Dep => ({
  name: d.name,
  flags: d.flags ? operatorSense(MD_FLAGS[d.flags] ?? "") : 0,
  evr: d.ver !== undefined ? formatEvr({ epoch: d.epoch && d.epoch !== "0" ? d.epoch : d.epoch === "0" ? "0" : undefined, version: d.ver, release: d.rel }) : "",
})

export const formatMdDep = (d: MdDep): string => {
  const x = mdDep(d)
  return d.flags && x.evr ? `${d.name} ${MD_FLAGS[d.flags]} ${x.evr}` : d.name
}

/** Parses "name", "name >= 1.0-2" or "name = 1:2.0" into a Dep. */
export const parseCapability = (cap: string): Dep => {
  const m = /^\s*(\S+)\s*(<=|>=|=<|=>|==|=|<|>)\s*(\S+)\s*$/.exec(cap)
  return m ? { name: m[1]!, flags: operatorSense(m[2]!), evr: m[3]! } : { name: cap.trim(), flags: 0, evr: "" }
}

export const nevraOfMd = (p: MdPackage): string => `${p.name}-${p.epoch && p.epoch !== "0" ? `${p.epoch}:` : ""}${p.version}-${p.release}.${p.arch}`

/** Packages providing `cap`: by provides (with version ranges) or, for a path, by file list. */
export const whatProvides = (packages: ReadonlyArray<MdPackage>, cap: string): MdPackage[] => {
  const want = parseCapability(cap)
  const file = want.name.startsWith("/")
  // compare names first: converting every provide of every package would dominate a query
  return packages.filter((p) => (file && p.files.includes(want.name)) || p.provides.some((d) => d.name === want.name && depMatches(mdDep(d), want)))
}

/** whatProvides over a table: only the packages with a provide (or file) of that name are built. */
export const whatProvidesIn = (table: PackageTable, cap: string): MdPackage[] => {
  const name = parseCapability(cap).name
  const by = table.withDependency("provides", name)
  const candidates = name.startsWith("/") ? [...new Set([...by, ...table.withFile(name)])].sort((a, b) => a - b) : by
  return whatProvides(candidates.map((i) => table.packageAt(i)), cap)
}

/** The requirements of every package named `name` (all versions and arches). */
export const requiresOf = (packages: ReadonlyArray<MdPackage>, name: string): Array<{ pkg: MdPackage; requires: string[] }> =>
  packages.filter((p) => p.name === name).map((pkg) => ({ pkg, requires: pkg.requires.map(formatMdDep) }))
