/**
 * The file list of a package header: paths (dirnames/basenames/dirindexes, or the legacy
 * OLDFILENAMES), modes, sizes, owners by name, mtimes, digests, link targets, flags
 * (%config, %ghost, %doc, %license…), capabilities, and hardlink sets (regular, non-ghost files
 * sharing a device:inode pair, as rpm's rpmfilesBuildNLink groups them).
 */
import { corrupt } from "./error.js"
import { numbers, strings, number, type Header } from "./header.js"
import { T } from "./tags.js"

/** RPMFILE_* flags. */
export const FILE = {
  CONFIG: 1 << 0, DOC: 1 << 1, ICON: 1 << 2, MISSINGOK: 1 << 3, NOREPLACE: 1 << 4, SPECFILE: 1 << 5, GHOST: 1 << 6,
  LICENSE: 1 << 7, README: 1 << 8, PUBKEY: 1 << 11, ARTIFACT: 1 << 12,
} as const

/** rpm's digest algorithm ids (PGPHASHALGO_*), for FILEDIGESTALGO and PAYLOADSHA256ALGO. */
export const HASH_ALGOS: Record<number, string> = { 1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224" }

export const S_IFMT = 0o170000
export const S_IFREG = 0o100000
export const S_IFDIR = 0o040000
export const S_IFLNK = 0o120000
export const S_IFCHR = 0o020000
export const S_IFBLK = 0o060000
export const S_IFIFO = 0o010000
export const S_IFSOCK = 0o140000

export interface RpmFile {
  readonly index: number
  /** Absolute path as the package installs it ("/usr/bin/x"). */
  readonly path: string
  readonly mode: number
  readonly size: number
  readonly user: string
  readonly group: string
  readonly mtime: number
  /** Hex digest of a regular file's content ("" for other kinds). */
  readonly digest: string
  readonly linkto: string
  readonly flags: number
  readonly verifyFlags: number
  /** Text form as `cap_from_text` takes it ("cap_net_raw=ep"), or "". */
  readonly caps: string
  readonly rdev: number
  readonly inode: number
  readonly device: number
  readonly lang: string
}

export const isReg = (mode: number): boolean => (mode & S_IFMT) === S_IFREG
export const isDir = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR
export const isLink = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK

/** The file digest algorithm name (rpm's default when the tag is absent is md5). */
export const fileDigestAlgo = (h: Header): string => {
  const id = number(h, T.FILEDIGESTALGO) ?? 1
  const name = HASH_ALGOS[id]
  if (!name) throw corrupt("header", `unknown file digest algorithm ${id}`)
  return name
}

/** Paths of all files, in header order. */
export const filePaths = (h: Header): string[] => {
  const base = strings(h, T.BASENAMES)
  if (base.length === 0) return strings(h, T.OLDFILENAMES)
  const dirs = strings(h, T.DIRNAMES)
  const idx = numbers(h, T.DIRINDEXES)
  if (idx.length !== base.length) throw corrupt("header", `${base.length} basenames but ${idx.length} dir indexes`)
  return base.map((b, i) => {
    const d = dirs[idx[i]!]
    if (d === undefined) throw corrupt("header", `file ${i}: dir index ${idx[i]} out of range`)
    return d + b
  })
}

export const files = (h: Header): RpmFile[] => {
  const paths = filePaths(h)
  const n = paths.length
  const arr = <X>(v: X[], fill: X, tag: string): X[] => {
    if (v.length === 0) return new Array<X>(n).fill(fill)
    if (v.length !== n) throw corrupt("header", `${tag} has ${v.length} entries for ${n} files`)
    return v
  }
  const long = numbers(h, T.LONGFILESIZES)
  const sizes = arr(long.length ? long : numbers(h, T.FILESIZES), 0, "FILESIZES")
  const modes = arr(numbers(h, T.FILEMODES), 0, "FILEMODES")
  const users = arr(strings(h, T.FILEUSERNAME), "root", "FILEUSERNAME")
  const groups = arr(strings(h, T.FILEGROUPNAME), "root", "FILEGROUPNAME")
  const mtimes = arr(numbers(h, T.FILEMTIMES), 0, "FILEMTIMES")
  const digests = arr(strings(h, T.FILEDIGESTS), "", "FILEDIGESTS")
  const links = arr(strings(h, T.FILELINKTOS), "", "FILELINKTOS")
  const flags = arr(numbers(h, T.FILEFLAGS), 0, "FILEFLAGS")
  const vflags = arr(numbers(h, T.FILEVERIFYFLAGS), 0xffffffff, "FILEVERIFYFLAGS")
  const caps = arr(strings(h, T.FILECAPS), "", "FILECAPS")
  const rdevs = arr(numbers(h, T.FILERDEVS), 0, "FILERDEVS")
  const inodes = arr(numbers(h, T.FILEINODES), 0, "FILEINODES")
  const devices = arr(numbers(h, T.FILEDEVICES), 0, "FILEDEVICES")
  const langs = arr(strings(h, T.FILELANGS), "", "FILELANGS")
  return paths.map((path, i) => ({
    index: i, path, mode: modes[i]!, size: sizes[i]!, user: users[i]!, group: groups[i]!, mtime: mtimes[i]!, digest: digests[i]!,
    linkto: links[i]!, flags: flags[i]!, verifyFlags: vflags[i]!, caps: caps[i]!, rdev: rdevs[i]!, inode: inodes[i]!,
    device: devices[i]!, lang: langs[i]!,
  }))
}

/**
 * Hardlink sets: for each regular non-ghost file that shares its device:inode with another,
 * the indexes of the whole set in header order. rpm stores the content with the set's last
 * member in the payload; the others have empty payload entries.
 */
export const hardlinkSets = (list: ReadonlyArray<RpmFile>): Map<number, number[]> => {
  const byId = new Map<string, number[]>()
  for (const f of list) {
    if (!isReg(f.mode) || f.flags & FILE.GHOST || f.inode <= 0) continue
    const key = `${f.device}:${f.inode}`
    const set = byId.get(key)
    if (set) set.push(f.index)
    else byId.set(key, [f.index])
  }
  const out = new Map<number, number[]>()
  for (const set of byId.values()) if (set.length > 1) for (const i of set) out.set(i, set)
  return out
}

/** `rpm -qlv`-style letter flags: c(onfig) d(oc) g(host) l(icense) r(eadme) m(issingok) n(oreplace). */
export const flagLetters = (flags: number): string =>
  [[FILE.CONFIG, "c"], [FILE.DOC, "d"], [FILE.GHOST, "g"], [FILE.LICENSE, "l"], [FILE.README, "r"], [FILE.MISSINGOK, "m"], [FILE.NOREPLACE, "n"]]
    .filter(([bit]) => flags & (bit as number))
    .map(([, c]) => c)
    .join("")
