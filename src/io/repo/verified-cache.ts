/**
 * Which content objects were hashed, and the inode state they had then — git's index stat-cache
 * idea applied to the object store. A hardlink checkout (deploy) re-hashes an object only when
 * its inode, size, mtime, mode or owner changed since it was last verified. Objects are stored
 * with mtime 0, and any write through the filesystem moves mtime, so a modified object is still
 * re-verified and refused. (ctime cannot be the key: every hardlink a checkout makes moves it.)
 * What this does not see — a byte changed below the filesystem, or an xattr edited in place — is
 * `fsck`'s job, which always hashes everything.
 *
 * Storage: `extensions/strata/verified-objects`, fixed 68-byte records (32 checksum bytes; ino,
 * size, mtime ns as u64 LE; mode, uid, gid as u32 LE), appended in one write per transaction or
 * checkout; the last record for a checksum wins. `extensions/` is ostree's directory for tools.
 * Only non-archive repos use it: archive checkouts inflate, and so verify, anyway.
 */
import { appendFileSync, lstatSync, mkdirSync, readFileSync } from "node:fs"
import { toBytes, type Checksum } from "../../formats/ostree/index.js"
import { objectPath } from "./object-read.js"
import type { Repo } from "./repo.js"

const RECORD = 68
const U32 = 0x1_0000_0000

/** A u64 LE field as a number; exact below 2^53, rounded once above — as node's number stats are. */
const u64 = (b: Buffer, o: number): number => b.readUInt32LE(o) + b.readUInt32LE(o + 4) * U32

const cachePath = (repo: Repo): string => `${repo.path}/extensions/strata/verified-objects`

const record = (csum: Checksum, st: import("node:fs").BigIntStats): Buffer => {
  const rec = Buffer.alloc(RECORD)
  rec.set(toBytes(csum))
  rec.writeBigUInt64LE(st.ino, 32)
  rec.writeBigUInt64LE(st.size, 40)
  rec.writeBigUInt64LE(st.mtimeNs, 48)
  rec.writeUInt32LE(Number(st.mode), 56)
  rec.writeUInt32LE(Number(st.uid), 60)
  rec.writeUInt32LE(Number(st.gid), 64)
  return rec
}

/**
 * Whether the object's inode is still the one `rec` (at `o`) describes. The common case — a
 * store object with mtime 0 — is decided on a number lstat (a bigint lstat costs ~3× as much, and
 * this runs once per object of every hardlink checkout); any other mtime is compared to the
 * nanosecond on a bigint lstat.
 */
const unchanged = (path: string, rec: Buffer, o: number): boolean => {
  try {
    return unchangedOrThrow(path, rec, o)
  } catch {
    return false
  }
}

const NUMBER_LSTAT = { throwIfNoEntry: false } as const
const BIGINT_LSTAT = { bigint: true, throwIfNoEntry: false } as const

const unchangedOrThrow = (path: string, rec: Buffer, o: number): boolean => {
  const mtimeZero = rec.readUInt32LE(o + 48) === 0 && rec.readUInt32LE(o + 52) === 0
  if (mtimeZero) {
    const st = lstatSync(path, NUMBER_LSTAT)
    return st !== undefined && st.mtimeMs === 0 && st.ino === u64(rec, o + 32) && st.size === u64(rec, o + 40) &&
      st.mode === rec.readUInt32LE(o + 56) && st.uid === rec.readUInt32LE(o + 60) && st.gid === rec.readUInt32LE(o + 64)
  }
  const st = lstatSync(path, BIGINT_LSTAT)
  return st !== undefined && st.ino === rec.readBigUInt64LE(o + 32) && st.size === rec.readBigUInt64LE(o + 40) &&
    st.mtimeNs === rec.readBigUInt64LE(o + 48) && Number(st.mode) === rec.readUInt32LE(o + 56) &&
    Number(st.uid) === rec.readUInt32LE(o + 60) && Number(st.gid) === rec.readUInt32LE(o + 64)
}

export interface VerifiedCache {
  /** The object's size if it was verified and is still the same inode, size, mtime, mode and owner; else undefined. */
  readonly verifiedSize: (csum: Checksum) => number | undefined
  /**
   * The inode number recorded for an object this process verified or added (a checkout's hardlink
   * targets: what the layered commit's devino cache needs, without an lstat per object).
   */
  readonly inode: (csum: Checksum) => number | undefined
  /** Notes a freshly verified or written object (its current inode state), unless already known as such. */
  readonly add: (csum: Checksum) => void
  /** Appends what was added; a failure to record never fails the operation. */
  readonly flush: () => void
}

export const openVerifiedCache = (repo: Repo): VerifiedCache => {
  /** checksum → [buffer, offset] of its last record (the file's, or one added since). */
  const known = new Map<Checksum, readonly [Buffer, number]>()
  const pending: Buffer[] = []
  if (repo.mode !== "archive") {
    let buf: Buffer | undefined
    try {
      buf = readFileSync(cachePath(repo))
    } catch {
      buf = undefined
    }
    if (buf) for (let o = 0; o + RECORD <= buf.length; o += RECORD) known.set(buf.toString("hex", o, o + 32), [buf, o])
  }
  return {
    verifiedSize: (csum) => {
      const k = known.get(csum)
      if (!k || !unchanged(objectPath(repo, csum, "file"), k[0], k[1])) return undefined
      return u64(k[0], k[1] + 40)
    },
    inode: (csum) => {
      const k = known.get(csum)
      return k ? u64(k[0], k[1] + 32) : undefined
    },
    add: (csum) => {
      if (repo.mode === "archive") return
      const path = objectPath(repo, csum, "file")
      const k = known.get(csum)
      if (k && unchanged(path, k[0], k[1])) return
      let st: import("node:fs").BigIntStats | undefined
      try {
        st = lstatSync(path, { bigint: true })
      } catch {
        return
      }
      const rec = record(csum, st)
      known.set(csum, [rec, 0])
      pending.push(rec)
    },
    flush: () => {
      if (pending.length === 0) return
      try {
        mkdirSync(`${repo.path}/extensions/strata`, { recursive: true })
        appendFileSync(cachePath(repo), Buffer.concat(pending.splice(0)))
      } catch {
        // Only a cache: without it the next checkout hashes again.
      }
    },
  }
}
