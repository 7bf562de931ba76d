/**
 * The /etc three-way merge (FORMATS.md §6.5, ostree merge_configuration_from): the local changes
 * of the merge deployment — the difference between its `/usr/etc` (the defaults it shipped) and
 * its `/etc` — are replayed onto the new deployment's `/etc` (a fresh copy of the new defaults).
 * Removed paths are deleted; modified and added paths are copied over whole from the old `/etc`:
 * the local copy always wins, there is no line-level merge.
 *
 * Entries are compared like ostree_diff_dirs with IGNORE_XATTRS: by type, owner, mode and
 * content (symlink target for links); directories by owner and mode, then recursively.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, rmSync, mkdirSync, type Stats } from "node:fs"
import { dirname } from "node:path"
import { SysrootError, sysFsError } from "./error.js"
import { copyEntrySync, copyMetaSync, isMissing } from "./fs-ops.js"

export interface EtcDiff {
  /** Relative paths (no leading slash), parents before children. */
  readonly modified: string[]
  readonly removed: string[]
  readonly added: string[]
}

const lstatOpt = (p: string): Stats | undefined => {
  try {
    return lstatSync(p)
  } catch (e) {
    if (isMissing(e)) return undefined
    throw e
  }
}

const kind = (st: Stats): "d" | "f" | "l" | "s" => (st.isDirectory() ? "d" : st.isFile() ? "f" : st.isSymbolicLink() ? "l" : "s")

const sameContent = (a: string, b: string, size: number): boolean => {
  const fa = openSync(a, "r")
  const fb = openSync(b, "r")
  try {
    const ba = Buffer.allocUnsafe(Math.min(size, 1 << 20) || 1)
    const bb = Buffer.allocUnsafe(ba.length)
    for (let off = 0; off < size;) {
      const n = readSync(fa, ba, 0, ba.length, off)
      const m = readSync(fb, bb, 0, bb.length, off)
      if (n !== m || n === 0 || ba.compare(bb, 0, m, 0, n) !== 0) return false
      off += n
    }
    return true
  } finally {
    closeSync(fa)
    closeSync(fb)
  }
}

/** The checksum comparison of ostree_diff_dirs, without computing checksums. */
const sameEntry = (a: string, sa: Stats, b: string, sb: Stats): boolean => {
  if (sa.uid !== sb.uid || sa.gid !== sb.gid) return false
  const k = kind(sa)
  if (k === "l") return readlinkSync(a) === readlinkSync(b)
  if (sa.mode !== sb.mode) return false
  if (k === "f") return sa.size === sb.size && sameContent(a, b, sa.size)
  return true
}

const addAll = (root: string, rel: string, out: string[]): void => {
  for (const name of readdirSync(`${root}/${rel}`)) {
    const r = `${rel}/${name}`
    out.push(r)
    if (lstatSync(`${root}/${r}`).isDirectory()) addAll(root, r, out)
  }
}

const walk = (orig: string, mod: string, rel: string, out: EtcDiff): void => {
  const at = (root: string, name: string) => (rel ? `${root}/${rel}/${name}` : `${root}/${name}`)
  const relOf = (name: string) => (rel ? `${rel}/${name}` : name)
  const origNames = readdirSync(rel ? `${orig}/${rel}` : orig)
  for (const name of origNames) {
    const a = at(orig, name)
    const b = at(mod, name)
    const sa = lstatSync(a)
    const sb = lstatOpt(b)
    if (!sb) {
      out.removed.push(relOf(name))
      continue
    }
    if (kind(sa) !== kind(sb)) {
      out.modified.push(relOf(name))
      continue
    }
    if (!sameEntry(a, sa, b, sb)) out.modified.push(relOf(name))
    if (sa.isDirectory()) walk(orig, mod, relOf(name), out)
  }
  const seen = new Set(origNames)
  for (const name of readdirSync(rel ? `${mod}/${rel}` : mod)) {
    if (seen.has(name)) continue
    out.added.push(relOf(name))
    if (lstatSync(at(mod, name)).isDirectory()) addAll(mod, relOf(name), out.added)
  }
}

/** The local changes: `orig` is the merge deployment's usr/etc, `modified` its etc. */
export const diffEtc = (opts: { readonly orig: string; readonly modified: string }): EtcDiff => {
  const out: EtcDiff = { modified: [], removed: [], added: [] }
  try {
    walk(opts.orig, opts.modified, "", out)
  } catch (e) {
    throw sysFsError("/etc merge: computing configuration diff", opts.modified, e)
  }
  return out
}

const conflict = (paths: string[], newEtc: string): SysrootError =>
  new SysrootError({
    op: "/etc merge",
    path: `${newEtc}/${paths[0]}`,
    reason: "Invalid",
    code: "EtcConflict",
    detail: `modified config file${paths.length > 1 ? "s" : ""} newly default${paths.length > 1 ? "" : "s"} to a directory, cannot merge: ${paths.map((p) => `/etc/${p}`).join(", ")}`,
  })

/**
 * Paths whose local version is a file or symlink but whose new default is a directory: ostree
 * refuses these. Checked before anything is written so a conflict changes nothing.
 */
export const findEtcConflicts = (opts: { readonly diff: EtcDiff; readonly modified: string; readonly newEtc: string }): string[] => {
  const out: string[] = []
  for (const p of [...opts.diff.modified, ...opts.diff.added]) {
    const local = lstatOpt(`${opts.modified}/${p}`)
    if (!local || local.isDirectory()) continue
    if (lstatOpt(`${opts.newEtc}/${p}`)?.isDirectory()) out.push(p)
  }
  return out
}

/** ensure_directory_from_template: create the parents of `rel` in newEtc with the old /etc's metadata. */
const ensureParents = (modified: string, newEtc: string, rel: string): void => {
  const parent = dirname(rel)
  if (parent === ".") return
  const target = `${newEtc}/${parent}`
  const st = lstatOpt(target)
  if (!st) {
    ensureParents(modified, newEtc, parent)
    mkdirSync(target, { mode: 0o700 })
  } else if (!st.isDirectory()) {
    throw new SysrootError({ op: "/etc merge", path: target, reason: "Invalid", code: "EtcConflict", detail: `/etc/${parent} is not a directory in the new default, cannot merge /etc/${rel}` })
  }
  copyMetaSync(`${modified}/${parent}`, target)
}

/** copy_modified_config_file for one path. */
const copyModified = (modified: string, newEtc: string, rel: string): void => {
  const src = `${modified}/${rel}`
  const st = lstatSync(src)
  ensureParents(modified, newEtc, rel)
  const dst = `${newEtc}/${rel}`
  const cur = lstatOpt(dst)
  if (cur?.isDirectory()) {
    if (!st.isDirectory()) throw conflict([rel], newEtc)
    return // already handled through its parent, or kept as the new default directory
  }
  if (cur) rmSync(dst, { force: true })
  if (st.isDirectory() || st.isFile() || st.isSymbolicLink()) copyEntrySync(src, dst)
  // special files are skipped, as ostree skips them
}

export interface MergeEtcOptions {
  /** The merge deployment's root (its usr/etc and etc are read). */
  readonly mergeRoot: string
  /** The new deployment's /etc (already a copy of its usr/etc). */
  readonly newEtc: string
}

/**
 * Applies the merge deployment's local /etc changes to `newEtc`. Checks for conflicts first and
 * throws SysrootError(EtcConflict) before touching anything; other failures leave `newEtc`
 * partly merged, which is why callers run this inside a deployment they remove on error.
 */
export const mergeEtc = (opts: MergeEtcOptions): EtcDiff => {
  const orig = `${opts.mergeRoot}/usr/etc`
  const modified = `${opts.mergeRoot}/etc`
  if (!lstatOpt(orig) || !lstatOpt(modified)) return { modified: [], removed: [], added: [] }
  const diff = diffEtc({ orig, modified })
  const conflicts = findEtcConflicts({ diff, modified, newEtc: opts.newEtc })
  if (conflicts.length) throw conflict(conflicts, opts.newEtc)
  try {
    for (const rel of diff.removed) rmSync(`${opts.newEtc}/${rel}`, { recursive: true, force: true })
    for (const rel of [...diff.modified, ...diff.added]) copyModified(modified, opts.newEtc, rel)
  } catch (e) {
    throw sysFsError("/etc merge: copy", opts.newEtc, e)
  }
  return diff
}
