/**
 * Package-list diffs as `rpm-ostree db diff` computes and prints them (`src/lib/rpmostree-package.c`
 * _rpm_ostree_diff_package_lists, `src/libpriv/rpmostree-util.cxx` rpmostree_diff_print*,
 * `src/daemon/rpmostree-package-variants.cxx` rpm_ostree_db_diff_variant).
 *
 * Both lists are sorted (pkglist order) and merge-joined by name: a name only on one side is
 * removed/added; the same name and arch with another EVR is modified; a *single* package of a
 * name that changed arch is modified too (as yum/dnf report it), while multilib sets are matched
 * arch by arch. A modified pair is an upgrade when the new package sorts after the old one
 * (name, EVR, arch), a downgrade otherwise.
 */
import { comparePkg, comparePkgEvr, pkgEvr, pkgNevra, strcmp, type PkgEntry } from "./pkglist.js"

export interface Modified {
  readonly from: PkgEntry
  readonly to: PkgEntry
}

export interface PkgDiff {
  readonly removed: ReadonlyArray<PkgEntry>
  readonly added: ReadonlyArray<PkgEntry>
  /** In list order. */
  readonly modified: ReadonlyArray<Modified>
}

export const diffPkglists = (a: ReadonlyArray<PkgEntry>, b: ReadonlyArray<PkgEntry>): PkgDiff => {
  const removed: PkgEntry[] = []
  const added: PkgEntry[] = []
  const modified: Modified[] = []
  const single = (l: ReadonlyArray<PkgEntry>, i: number): boolean => i + 1 >= l.length || l[i + 1]!.name !== l[i]!.name
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a[i]!
    const y = b[j]!
    const byName = strcmp(x.name, y.name)
    if (byName < 0) removed.push(a[i++]!)
    else if (byName > 0) added.push(b[j++]!)
    else {
      const byArch = strcmp(x.arch, y.arch)
      if (byArch === 0 || (single(a, i) && single(b, j))) {
        if (byArch !== 0 || comparePkgEvr(x, y) !== 0) modified.push({ from: x, to: y })
        i++, j++
      } else if (byArch < 0) removed.push(a[i++]!)
      else added.push(b[j++]!)
    }
  }
  while (i < a.length) removed.push(a[i++]!)
  while (j < b.length) added.push(b[j++]!)
  return { removed, added, modified }
}

export const isUpgrade = (m: Modified): boolean => comparePkg(m.from, m.to) <= 0
export const upgraded = (d: PkgDiff): Modified[] => d.modified.filter(isUpgrade)
export const downgraded = (d: PkgDiff): Modified[] => d.modified.filter((m) => !isUpgrade(m))

export const isEmptyDiff = (d: PkgDiff): boolean => d.removed.length === 0 && d.added.length === 0 && d.modified.length === 0

/** `--format=block` body (FULL_MULTILINE): sections only when non-empty. */
export const renderDiffBlock = (d: PkgDiff): string[] => {
  const out: string[] = []
  const up = upgraded(d)
  const down = downgraded(d)
  if (up.length) out.push("Upgraded:", ...up.map((m) => `  ${m.from.name} ${pkgEvr(m.from)} -> ${pkgEvr(m.to)}`))
  if (down.length) out.push("Downgraded:", ...down.map((m) => `  ${m.from.name} ${pkgEvr(m.from)} -> ${pkgEvr(m.to)}`))
  if (d.removed.length) out.push("Removed:", ...d.removed.map((p) => `  ${pkgNevra(p)}`))
  if (d.added.length) out.push("Added:", ...d.added.map((p) => `  ${pkgNevra(p)}`))
  return out
}

/**
 * `--format=diff`: one merged walk in package order, `!old`/`=new` for a modified pair, `-` removed,
 * `+` added (rpmostree_diff_print; on a tie the removal goes before the addition).
 */
export const renderDiffLines = (d: PkgDiff): string[] => {
  const out: string[] = []
  let a = 0
  let r = 0
  let m = 0
  // pkg_cmp_end: a finished list sorts last
  const cmp = (x: PkgEntry | undefined, y: PkgEntry | undefined): number => (y === undefined ? -1 : x === undefined ? 1 : comparePkg(x, y))
  while (a < d.added.length || r < d.removed.length || m < d.modified.length) {
    const pa = d.added[a]
    const pr = d.removed[r]
    const pm = d.modified[m]?.from
    if (cmp(pm, pr) < 0 && cmp(pm, pa) < 0) {
      out.push(`!${pkgNevra(pm!)}`, `=${pkgNevra(d.modified[m]!.to)}`)
      m++
    } else if (cmp(pm, pr) < 0 || !(cmp(pr, pa) < 0)) {
      out.push(`+${pkgNevra(pa!)}`)
      a++
    } else {
      out.push(`-${pkgNevra(pr!)}`)
      r++
    }
  }
  return out
}

/** RpmOstreePkgTypes (rpmostree-package-variants.h). */
export const PKG_ADDED = 0
export const PKG_REMOVED = 1
export const PKG_UPGRADED = 2
export const PKG_DOWNGRADED = 3

/** `(name, evr, arch)` as the diff variant holds a package. */
const nea = (p: PkgEntry): [string, string, string] => [p.name, pkgEvr(p), p.arch]

/**
 * The `pkgdiff` value of `db diff --format=json`: `a(sua{sv})` as json-glib prints it — tuples
 * as arrays, the a{sv} as an object; sorted by type, then name (a stable sort, as GLib's).
 */
export const pkgdiffJson = (d: PkgDiff): Array<[string, number, Record<string, [string, string, string]>]> => {
  const items: Array<[string, number, Record<string, [string, string, string]>]> = [
    ...d.modified.map((m): [string, number, Record<string, [string, string, string]>] => [m.from.name, isUpgrade(m) ? PKG_UPGRADED : PKG_DOWNGRADED, { PreviousPackage: nea(m.from), NewPackage: nea(m.to) }]),
    ...d.removed.map((p): [string, number, Record<string, [string, string, string]>] => [p.name, PKG_REMOVED, { PreviousPackage: nea(p) }]),
    ...d.added.map((p): [string, number, Record<string, [string, string, string]>] => [p.name, PKG_ADDED, { NewPackage: nea(p) }]),
  ]
  return items.sort((x, y) => x[1] - y[1] || strcmp(x[0], y[0]))
}
