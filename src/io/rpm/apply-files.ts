/**
 * The file side of applyPackages that is not a checkout: removing a package's files (what no
 * other installed package owns; directories only when empty; modified %config files kept as
 * `.rpmsave`), and rpm's %config rules when a package's file lands on an existing one
 * (unchanged in the package → the admin's copy stays; %config(noreplace) → the new one goes to
 * `.rpmnew`; plain %config → the old one is saved as `.rpmsave`, or `.rpmorig` when no package
 * owned it). Every path is resolved inside the root: symlinked parents are followed within it,
 * the final component never.
 */
import { createHash } from "node:crypto"
import { lstatSync, readFileSync, readlinkSync, renameSync, rmdirSync, unlinkSync } from "node:fs"
import { join } from "node:path"
import { fileDigestAlgo, filePaths, files as headerFiles, FILE, isDir, isLink, isReg, type RpmFile } from "../../formats/rpm/files.js"
import type { Header } from "../../formats/rpm/header.js"
import { lstatMaybe } from "./tree.js"

/** The host path of `path` ("/usr/bin/x") in `root`, parents resolved in-tree; undefined when a parent is missing. */
export const inTree = (root: string, path: string): string | undefined => {
  const parts = path.split("/").filter((c) => c !== "" && c !== ".")
  const last = parts.pop()
  if (last === undefined || last === "..") return undefined
  let out: string[] = []
  const walk = (comps: ReadonlyArray<string>, depth: number): boolean => {
    if (depth > 40) return false
    for (const c of comps) {
      if (c === "" || c === ".") continue
      if (c === "..") {
        if (!out.length) return false
        out.pop()
        continue
      }
      const st = lstatMaybe(join(root, ...out, c))
      if (!st) return false
      if (st.isDirectory()) out.push(c)
      else if (st.isSymbolicLink()) {
        const t = readlinkSync(join(root, ...out, c))
        if (t.startsWith("/")) out = []
        if (!walk(t.split("/"), depth + 1)) return false
      } else return false
    }
    return true
  }
  return walk(parts, 0) ? join(root, ...out, last) : undefined
}

const digest = (host: string, algo: string): string | undefined => {
  try {
    return createHash(algo).update(readFileSync(host)).digest("hex")
  } catch {
    return undefined
  }
}

/** Whether a %config file on disk differs from what the package shipped. */
const modified = (host: string, f: RpmFile, algo: string): boolean => isReg(f.mode) && lstatMaybe(host)?.isFile() === true && digest(host, algo) !== f.digest

/**
 * Removes the files of `header` that are not in `keep` (paths owned by packages that stay).
 * Returns the number of entries removed.
 */
export const removePackageFiles = ({ root, header, keep, warnings }: { root: string; header: Header; keep: ReadonlySet<string>; warnings: string[] }): number => {
  const algo = fileDigestAlgo(header)
  const list = headerFiles(header).filter((f) => !keep.has(f.path))
  let removed = 0
  for (const f of list) {
    if (isDir(f.mode)) continue
    const host = inTree(root, f.path)
    if (!host || !lstatMaybe(host) || lstatMaybe(host)!.isDirectory()) continue
    if (f.flags & FILE.CONFIG && !(f.flags & FILE.GHOST) && modified(host, f, algo)) {
      renameSync(host, `${host}.rpmsave`)
      warnings.push(`${f.path} saved as ${f.path}.rpmsave`)
      continue
    }
    unlinkSync(host)
    removed++
  }
  // deepest first, so a directory's children are gone before it is tried
  for (const f of list.filter((f) => isDir(f.mode)).sort((a, b) => b.path.length - a.path.length)) {
    const host = inTree(root, f.path)
    if (!host || !lstatSync(host, { throwIfNoEntry: false })?.isDirectory()) continue
    try {
      rmdirSync(host)
      removed++
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EBUSY") throw e
    }
  }
  return removed
}

/**
 * Decides, before the checkout of `header`, what happens to %config files that already exist
 * in the root; returns the step to run after the checkout. `old` is the header being upgraded
 * (undefined on a fresh install); `owned` tells whether some installed package owns a path.
 */
export const configPlan = ({ root, header, old, owned, warnings }: {
  root: string
  header: Header
  old: Header | undefined
  owned: (path: string) => boolean
  warnings: string[]
}): (() => void) => {
  const algo = fileDigestAlgo(header)
  const oldFiles = new Map(old ? headerFiles(old).map((f) => [f.path, f] as const) : [])
  const oldAlgo = old ? fileDigestAlgo(old) : algo
  const after: Array<() => void> = []
  let n = 0
  for (const f of headerFiles(header)) {
    if (!(f.flags & FILE.CONFIG) || f.flags & FILE.GHOST || !isReg(f.mode)) continue
    const host = inTree(root, f.path)
    if (!host || !lstatMaybe(host)?.isFile()) continue
    const disk = digest(host, algo)
    if (disk === f.digest) continue
    const was = oldFiles.get(f.path)
    if (was && digest(host, oldAlgo) === was.digest) continue // untouched: the new one replaces it
    const keep = `${host}.strata-config-${process.pid}-${++n}`
    if (was && was.digest === f.digest && oldAlgo === algo) {
      // the package did not change it: the admin's version stays
      renameSync(host, keep)
      after.push(() => renameSync(keep, host))
    } else if (f.flags & FILE.NOREPLACE) {
      renameSync(host, keep)
      after.push(() => {
        renameSync(host, `${host}.rpmnew`)
        renameSync(keep, host)
        warnings.push(`${f.path} created as ${f.path}.rpmnew`)
      })
    } else {
      const suffix = was || owned(f.path) ? "rpmsave" : "rpmorig"
      renameSync(host, `${host}.${suffix}`)
      warnings.push(`${f.path} saved as ${f.path}.${suffix}`)
    }
  }
  return () => {
    for (const f of after) f()
  }
}

/** What makes two packages' copies of a path the same file, as rpm compares them. */
const sameFile = (a: RpmFile, b: RpmFile): boolean => {
  if (isDir(a.mode) && isDir(b.mode)) return true
  if (a.flags & FILE.GHOST || b.flags & FILE.GHOST) return true
  if ((a.mode & 0o170000) !== (b.mode & 0o170000)) return false
  if (isLink(a.mode)) return a.linkto === b.linkto
  return a.digest === b.digest && a.mode === b.mode && a.user === b.user && a.group === b.group
}

/**
 * rpm's file conflict check: two packages that stay installed after the transaction may both
 * own a path only when it is the same directory, symlink or file (same content, mode and
 * owner). Returns rpm's message for the first conflict, or undefined.
 */
export const fileConflict = (
  incoming: ReadonlyArray<{ readonly nevra: string; readonly header: Header }>,
  staying: ReadonlyArray<{ readonly nevra: string; readonly header: Header }>,
): string | undefined => {
  const owners = new Map<string, { nevra: string; file: RpmFile }>()
  for (const p of incoming) {
    for (const f of headerFiles(p.header)) {
      const was = owners.get(f.path)
      if (was && !sameFile(was.file, f)) return `file ${f.path} from install of ${p.nevra} conflicts with file from package ${was.nevra}`
      if (!was) owners.set(f.path, { nevra: p.nevra, file: f })
    }
  }
  for (const p of staying) {
    // most installed packages share no path with the new ones: compare names before parsing files
    if (!filePaths(p.header).some((path) => owners.has(path))) continue
    for (const f of headerFiles(p.header)) {
      const mine = owners.get(f.path)
      if (mine && !sameFile(mine.file, f)) return `file ${f.path} from install of ${mine.nevra} conflicts with file from package ${p.nevra}`
    }
  }
  return undefined
}
