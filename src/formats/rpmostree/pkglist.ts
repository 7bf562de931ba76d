/**
 * `rpmostree.rpmdb.pkglist`: the package list rpm-ostree puts in the metadata of every compose and
 * client-layer commit, so `db diff`/`db list` never need to check out the rpmdb.
 *
 * Type `a(sssss)` = (name, epoch, version, release, arch). The epoch is a *decimal string*
 * ("0" when the package has none) so the value reads the same in the big-endian compose metadata
 * and the little-endian client-layer metadata (`rpmostree-rpm-util.cxx`
 * rpmostree_variant_pkgs_from_sack). Entries are sorted like libdnf's dnf_package_cmp: name
 * (byte order), then EVR (rpmvercmp, a missing epoch counts as 0), then arch (byte order); readers
 * merge-join two lists and rely on that order.
 *
 * Display forms follow `src/lib/rpmostree-package.c`: EVR drops an epoch of "0", NEVRA is
 * `name-evr.arch`.
 */
import { parse, serialize, variant, lookup, type Variant, type VarDict } from "../gvariant/index.js"
import { compareEvr } from "../rpm/evr.js"
import { PkglistError } from "./error.js"

export const PKGLIST_KEY = "rpmostree.rpmdb.pkglist"
export const PKGLIST_TYPE = "a(sssss)"

export interface PkgEntry {
  readonly name: string
  /** Decimal string; "0" when the package has no epoch (libdnf does not tell unset from 0). */
  readonly epoch: string
  readonly version: string
  readonly release: string
  readonly arch: string
}

/** Builds an entry from header-like fields; an absent epoch becomes "0". */
export const pkgEntry = (p: {
  name: string
  epoch?: string | number | null | undefined
  version: string
  release: string
  arch: string
}): PkgEntry => ({
  name: p.name,
  epoch: p.epoch === undefined || p.epoch === null || `${p.epoch}` === "" ? "0" : `${p.epoch}`,
  version: p.version,
  release: p.release,
  arch: p.arch,
})

/** `[epoch:]version-release`, without a `0:` epoch. */
export const pkgEvr = (p: Pick<PkgEntry, "epoch" | "version" | "release">): string =>
  `${p.epoch && p.epoch !== "0" ? `${p.epoch}:` : ""}${p.version}-${p.release}`

/** `name-[epoch:]version-release.arch`, without a `0:` epoch. */
export const pkgNevra = (p: PkgEntry): string => `${p.name}-${pkgEvr(p)}.${p.arch}`

/** Byte-wise comparison, as strcmp on UTF-8 (JS `<` compares UTF-16 code units). */
export const strcmp = (a: string, b: string): number => (a === b ? 0 : Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")))

/** EVR order of two entries, through rpmvercmp; a "0" epoch equals a missing one. */
export const comparePkgEvr = (a: PkgEntry, b: PkgEntry): -1 | 0 | 1 =>
  compareEvr({ epoch: a.epoch, version: a.version, release: a.release }, { epoch: b.epoch, version: b.version, release: b.release })

/** dnf_package_cmp: name, then EVR, then arch. */
export const comparePkg = (a: PkgEntry, b: PkgEntry): number => strcmp(a.name, b.name) || comparePkgEvr(a, b) || strcmp(a.arch, b.arch)

/** A sorted copy, in the order rpm-ostree writes the list. */
export const sortPkglist = (pkgs: ReadonlyArray<PkgEntry>): PkgEntry[] => [...pkgs].sort(comparePkg)

const DECIMAL = /^[0-9]+$/

const check = (e: unknown, i: number): PkgEntry => {
  if (!Array.isArray(e) || e.length !== 5 || !e.every((x) => typeof x === "string"))
    throw new PkglistError({ reason: "Corrupt", detail: `entry ${i} is not a (sssss) tuple` })
  const [name, epoch, version, release, arch] = e as [string, string, string, string, string]
  if (name === "" || version === "" || arch === "")
    throw new PkglistError({ reason: "Corrupt", detail: `entry ${i}: empty name, version or arch` })
  if (!DECIMAL.test(epoch)) throw new PkglistError({ reason: "Corrupt", detail: `entry ${i} (${name}): epoch "${epoch}" is not a decimal number` })
  return { name, epoch, version, release, arch }
}

/** The GVariant value for commit metadata: sorted entries, type `a(sssss)`. */
export const pkglistVariant = (pkgs: ReadonlyArray<PkgEntry>): Variant =>
  variant(PKGLIST_TYPE, sortPkglist(pkgs).map((p) => [p.name, p.epoch, p.version, p.release, p.arch]))

export const serializePkglist = (pkgs: ReadonlyArray<PkgEntry>): Uint8Array => serialize(PKGLIST_TYPE, pkglistVariant(pkgs).value)

/** Entries of a metadata value; the list is returned as stored (rpm-ostree wrote it sorted). */
export const pkglistFromVariant = (v: Variant): PkgEntry[] => {
  if (v.type !== PKGLIST_TYPE) throw new PkglistError({ reason: "Corrupt", detail: `${PKGLIST_KEY} has type "${v.type}", expected "${PKGLIST_TYPE}"` })
  if (!Array.isArray(v.value)) throw new PkglistError({ reason: "Corrupt", detail: `${PKGLIST_KEY} is not an array` })
  return v.value.map(check)
}

export const parsePkglist = (bytes: Uint8Array): PkgEntry[] => {
  let value: unknown
  try {
    value = parse(PKGLIST_TYPE, bytes)
  } catch (e) {
    throw new PkglistError({ reason: "Corrupt", detail: (e as Error).message })
  }
  return pkglistFromVariant(variant(PKGLIST_TYPE, value))
}

/** The list in a commit's metadata, or undefined when the commit has none (then read its rpmdb). */
export const pkglistFromMetadata = (meta: VarDict): PkgEntry[] | undefined => {
  const v = lookup(meta, PKGLIST_KEY)
  return v === undefined ? undefined : pkglistFromVariant(v)
}

/**
 * Splits `name-[epoch:]version-release.arch` like hy_split_nevra: arch after the last '.',
 * release after the last '-', version after the one before, epoch before a ':' in the version.
 */
export const parseNevra = (nevra: string): PkgEntry => {
  const dot = nevra.lastIndexOf(".")
  const rel = dot > 0 ? nevra.lastIndexOf("-", dot) : -1
  const ver = rel > 0 ? nevra.lastIndexOf("-", rel - 1) : -1
  if (dot <= 0 || rel <= 0 || ver <= 0 || dot === nevra.length - 1)
    throw new PkglistError({ reason: "Invalid", detail: `"${nevra}" is not a NEVRA (name-[epoch:]version-release.arch)` })
  const name = nevra.slice(0, ver)
  let version = nevra.slice(ver + 1, rel)
  let epoch = "0"
  const colon = version.indexOf(":")
  if (colon >= 0) {
    epoch = version.slice(0, colon)
    version = version.slice(colon + 1)
    if (!DECIMAL.test(epoch)) throw new PkglistError({ reason: "Invalid", detail: `"${nevra}": epoch "${epoch}" is not a number` })
  }
  const release = nevra.slice(rel + 1, dot)
  if (version === "" || release === "") throw new PkglistError({ reason: "Invalid", detail: `"${nevra}" is not a NEVRA (name-[epoch:]version-release.arch)` })
  return { name, epoch: `${Number.parseInt(epoch, 10)}`, version, release, arch: nevra.slice(dot + 1) }
}
