/**
 * Pool input from rpm-md: primary.xml's package records (formats/rpm/repomd.ts MdPackage), read
 * straight into interned ids without building intermediate dependency objects — on a 63k-package
 * repository this is the pool's hot path.
 */
import "./rich.js" // pool.dep parses rich dependencies with it
import type { MdDep, MdPackage } from "../formats/rpm/repomd.js"
import { SENSE_EQUAL, SENSE_GREATER, SENSE_LESS } from "../formats/rpm/evr.js"
import { evrText } from "./package.js"
import type { Pool } from "./pool.js"

const MD_FLAGS: Record<string, number> = { EQ: SENSE_EQUAL, LT: SENSE_LESS, GT: SENSE_GREATER, LE: SENSE_LESS | SENSE_EQUAL, GE: SENSE_GREATER | SENSE_EQUAL }

const mdList = (pool: Pool, list: ReadonlyArray<MdDep> | undefined, skipRpmlib: boolean): number[] | undefined => {
  if (!list || list.length === 0) return undefined
  const out: number[] = []
  for (const d of list) {
    if (skipRpmlib && d.name.startsWith("rpmlib(")) continue
    const flags = d.flags ? (MD_FLAGS[d.flags] ?? 0) : 0
    out.push(flags && d.ver !== undefined ? pool.dep(d.name, flags, evrText(d.epoch, d.ver, d.rel)) : pool.dep(d.name, 0, ""))
  }
  return out
}

/** Adds one primary.xml package to `repo`; the record is kept as the solvable's data. */
export const addMdPackage = (pool: Pool, repo: number, p: MdPackage): number =>
  pool.addSolvable(
    repo,
    pool.strings.intern(p.name),
    pool.strings.intern(evrText(p.epoch, p.version, p.release)),
    pool.strings.intern(p.arch),
    [
      mdList(pool, p.provides, false),
      // rpmlib() requirements are rpm's own features, not packages (libsolv drops them too)
      mdList(pool, p.requires, true),
      mdList(pool, p.conflicts, false),
      mdList(pool, p.obsoletes, false),
      mdList(pool, p.recommends, false),
      mdList(pool, p.suggests, false),
      mdList(pool, p.supplements, false),
      mdList(pool, p.enhances, false),
    ],
    p.files.length ? p.files.map((f) => pool.strings.intern(f)) : undefined,
    p,
  )

/** Adds a repository's packages; source packages are not installable and are left out. */
export const addMdRepo = (pool: Pool, { name, priority = 99, packages }: { name: string; priority?: number; packages: ReadonlyArray<MdPackage> }): number => {
  // dnf: lower priority= wins; the pool: higher wins
  const repo = pool.addRepo({ name, priority: -priority })
  for (const p of packages) if (p.arch !== "src" && p.arch !== "nosrc") addMdPackage(pool, repo, p)
  return repo
}
