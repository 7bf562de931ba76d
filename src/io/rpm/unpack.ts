/**
 * Unpacks a package's payload into a new directory: every path checked before anything is
 * written, content streamed to disk as it decompresses (and hashed against the header), modes,
 * owners (by name, through the target tree's passwd/group), mtimes, hardlink sets, symlinks and
 * file capabilities applied; %ghost files are not created (rpm only records them). The work
 * happens in a sibling staging directory renamed into place at the end, so a bad package leaves
 * nothing behind.
 */
import {
  closeSync, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lutimesSync, mkdirSync, openSync, readdirSync,
  renameSync, rmSync, rmdirSync, symlinkSync, writeSync, chmodSync, chownSync, utimesSync, constants,
} from "node:fs"
import { basename, dirname, join } from "node:path"
import { randomBytes } from "node:crypto"
import { setAttributeSync } from "@napi-rs/xattr"
import { capsXattr } from "../../formats/rpm/caps.js"
import { corrupt, unsupported } from "../../formats/rpm/error.js"
import { files as headerFiles, FILE, hardlinkSets, isDir, isLink, isReg, type RpmFile } from "../../formats/rpm/files.js"
import { safeRelative } from "../../formats/rpm/paths.js"
import type { BombLimits } from "../../formats/rpm/payload.js"
import { walkPayload } from "./payload-walk.js"
import { headerDigestChecks, payloadExpectations } from "../../formats/rpm/signature.js"
import { readPackageFront, type PackageFile } from "./read.js"
import { ownerIds, readOwners, type Owners } from "./owners.js"
import { TreeWriter, lstatMaybe } from "./tree.js"
import { tagged } from "./error.js"

export interface UnpackOptions {
  readonly path: string
  /** Must not exist, or be an empty directory. */
  readonly dest: string
  /** Names → ids; default: the tree at `ownersFrom`, else root only. */
  readonly owners?: Owners
  readonly ownersFrom?: string
  readonly limits?: BombLimits
  readonly fileDigests?: boolean
  /** Already-parsed front of `path` (saves re-reading it). */
  readonly pkg?: PackageFile
}

export interface UnpackResult {
  readonly dest: string
  readonly files: number
  readonly bytes: number
  readonly warnings: ReadonlyArray<string>
}

const isRoot = process.getuid?.() === 0
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW
/** The permission bits a create with `mode` really gets under the process umask. */
const umask = process.umask()
const createMode = (mode: number): number => mode & 0o777 & ~umask

/** Checks every file in the header before anything is written. */
const preflight = (list: ReadonlyArray<RpmFile>): void => {
  for (const f of list) {
    safeRelative(f.path)
    if (f.flags & FILE.GHOST) continue
    if (!isReg(f.mode) && !isDir(f.mode) && !isLink(f.mode))
      throw unsupported("unpack", `${f.path}: device, fifo and socket files are not supported (mode ${f.mode.toString(8)})`)
    if (isLink(f.mode) && (f.linkto === "" || f.linkto.includes("\0"))) throw corrupt("unpack", `${f.path}: bad symlink target`)
  }
}

export const unpackPackage = (opts: UnpackOptions): Promise<UnpackResult> =>
  tagged("unpack", opts.path, async () => {
    const pkg = opts.pkg ?? readPackageFront(opts.path)
    const list = headerFiles(pkg.header)
    preflight(list)
    const headerBad = headerDigestChecks(pkg).find((d) => !d.ok)
    if (headerBad) throw corrupt("header", `${headerBad.name} digest mismatch (expected ${headerBad.expected}, got ${headerBad.actual})`)
    const existing = lstatMaybe(opts.dest)
    if (existing && !(existing.isDirectory() && readdirSync(opts.dest).length === 0))
      throw corrupt("unpack", `destination ${opts.dest} exists and is not an empty directory`)
    const stage = join(dirname(opts.dest), `.${basename(opts.dest)}.partial-${randomBytes(6).toString("hex")}`)
    mkdirSync(dirname(opts.dest), { recursive: true })
    mkdirSync(stage, { mode: 0o755 })
    try {
      const r = await unpackInto({ ...opts, pkg, list, root: stage })
      if (existing) rmdirSync(opts.dest)
      renameSync(stage, opts.dest)
      return { ...r, dest: opts.dest }
    } catch (e) {
      rmSync(stage, { recursive: true, force: true })
      throw e
    }
  })

/** Runs a create; false when its name already exists (EEXIST), other errors thrown. */
const created = (make: () => void): boolean => {
  try {
    make()
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
    return false
  }
}

const unpackInto = async (o: UnpackOptions & { pkg: PackageFile; list: ReadonlyArray<RpmFile>; root: string }): Promise<Omit<UnpackResult, "dest">> => {
  const owners = o.owners ?? readOwners(o.ownersFrom)
  const warnings = new Set<string>()
  const tree = new TreeWriter(o.root)
  const links = hardlinkSets(o.list)
  const dirs: Array<{ abs: string; f: RpmFile }> = []
  const linkedPending = new Map<number, string>() // file index → final path, for members written before their data
  let fd = -1
  let tmp = ""
  let finalPath = ""
  let count = 0
  let bytes = 0

  const target = (f: RpmFile): { abs: string; dirAbs: string } => {
    const rel = safeRelative(f.path)
    const slash = rel.lastIndexOf("/")
    const dirAbs = tree.dir(slash < 0 ? "" : rel.slice(0, slash), f.path)
    return { abs: join(dirAbs, slash < 0 ? rel : rel.slice(slash + 1)), dirAbs }
  }
  const place = (from: string, to: string): void => {
    const st = lstatMaybe(to)
    if (st?.isDirectory()) throw corrupt("unpack", `${to} is a directory; cannot replace it with a file`)
    renameSync(from, to)
  }

  // The payload digest (checked before the staging dir is renamed into place) already covers
  // every byte of content, and the header digest covers it; per-file digests, the legacy MD5 and
  // the digest of the uncompressed payload (PAYLOADSHA256ALT: the same bytes decompressed, ~1 GB
  // more to hash on the main thread for a 220 MB package) would hash everything again. They stay
  // on for packages without a payload digest; `strata pkg verify` checks them all.
  const covered = payloadExpectations(o.pkg).payloadDigest !== undefined
  const walk = await walkPayload({
    pkg: o.pkg,
    limits: o.limits,
    fileDigests: o.fileDigests ?? !covered,
    md5: !covered,
    altDigest: !covered,
    visitor: {
      entry: (f) => {
        count++
        if (f.path === "/") return
        const { abs, dirAbs } = target(f)
        // Directories and symlinks, like files below, are made at their final name in the fresh
        // staging tree, and only an existing name costs the lstat (and, for a symlink, the
        // temporary name and rename that replace what is there).
        if (isDir(f.mode)) {
          if (!created(() => mkdirSync(abs, { mode: 0o700 })) && !lstatMaybe(abs)?.isDirectory())
            throw corrupt("unpack", `${f.path}: exists and is not a directory`)
          dirs.push({ abs, f })
          return
        }
        const [uid, gid] = ownerIds(owners, f.user, f.group, warnings)
        if (isLink(f.mode)) {
          const direct = created(() => symlinkSync(f.linkto, abs))
          const t = direct ? abs : tree.tmpName(dirAbs)
          if (!direct) symlinkSync(f.linkto, t)
          if (isRoot) lchownSync(t, uid, gid)
          lutimesSync(t, f.mtime, f.mtime)
          if (!direct) place(t, abs)
          return
        }
        const set = links.get(f.index)
        if (set && set[set.length - 1] !== f.index) {
          linkedPending.set(f.index, abs) // linked to the set's last member once its data is written
          return
        }
        finalPath = abs
        // The staging tree is ours and fresh, so a file is created at its final name; only when
        // that name already exists (two header paths meeting through a symlink parent) does it
        // go through a temporary name and a rename, replacing the earlier one as rpm would.
        try {
          tmp = abs
          fd = openSync(abs, CREATE, createMode(f.mode))
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
          tmp = tree.tmpName(dirAbs)
          fd = openSync(tmp, CREATE, 0o600)
        }
      },
      data: (b) => {
        if (fd < 0) return // symlink targets come from the header, not the payload
        writeSync(fd, b)
        bytes += b.length
      },
      entryEnd: (f) => {
        if (fd < 0) return
        const [uid, gid] = ownerIds(owners, f.user, f.group, warnings)
        // chown first: it clears setuid bits and capabilities, which are applied after it. A
        // root-owned file made by root needs no chown, and a mode the create already gave no chmod.
        if (isRoot && (uid !== 0 || gid !== 0)) fchownSync(fd, uid, gid)
        if (tmp !== finalPath || createMode(f.mode) !== (f.mode & 0o7777) || (isRoot && (uid !== 0 || gid !== 0))) fchmodSync(fd, f.mode & 0o7777)
        futimesSync(fd, f.mtime, f.mtime)
        closeSync(fd)
        fd = -1
        if (f.caps) setAttributeSync(tmp, "security.capability", capsXattr(f.caps))
        if (tmp !== finalPath) place(tmp, finalPath)
        for (const i of links.get(f.index) ?? []) {
          const other = linkedPending.get(i)
          if (other === undefined) continue
          const t = tree.tmpName(dirname(other))
          linkSync(finalPath, t)
          place(t, other)
        }
      },
    },
  }).finally(() => {
    if (fd >= 0) closeSync(fd)
  })
  const bad = walk.digests.find((d) => !d.ok)
  if (bad) throw corrupt("payload", `${bad.name} digest mismatch (expected ${bad.expected}, got ${bad.actual})`)

  // Directory metadata last, deepest first: writing children would change mtimes, and a
  // read-only mode would have blocked them.
  for (const { abs, f } of dirs.reverse()) {
    const [uid, gid] = ownerIds(owners, f.user, f.group, warnings)
    if (isRoot) chownSync(abs, uid, gid)
    chmodSync(abs, f.mode & 0o7777)
    utimesSync(abs, f.mtime, f.mtime)
  }
  return { files: count, bytes, warnings: [...warnings] }
}
