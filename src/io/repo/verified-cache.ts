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
import { fromBytes, toBytes, type Checksum } from "../../formats/ostree/index.js"
import { objectPath } from "./object-read.js"
import type { Repo } from "./repo.js"

const RECORD = 68

interface StatKey {
  readonly ino: bigint
  readonly size: bigint
  readonly mtimeNs: bigint
  readonly mode: number
  readonly uid: number
  readonly gid: number
}

const same = (a: StatKey, b: StatKey): boolean =>
  a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid

const cachePath = (repo: Repo): string => `${repo.path}/extensions/strata/verified-objects`

const statOf = (repo: Repo, csum: Checksum): StatKey | undefined => {
  try {
    const st = lstatSync(objectPath(repo, csum, "file"), { bigint: true })
    return { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid) }
  } catch {
    return undefined
  }
}

export interface VerifiedCache {
  /** The object's size if it was verified and is still the same inode, size and ctime; else undefined. */
  readonly verifiedSize: (csum: Checksum) => bigint | undefined
  /** Notes a freshly verified or written object (its current inode state), unless already known as such. */
  readonly add: (csum: Checksum) => void
  /** Appends what was added; a failure to record never fails the operation. */
  readonly flush: () => void
}

export const openVerifiedCache = (repo: Repo): VerifiedCache => {
  const known = new Map<Checksum, StatKey>()
  const pending: Buffer[] = []
  if (repo.mode !== "archive") {
    let buf: Buffer | undefined
    try {
      buf = readFileSync(cachePath(repo))
    } catch {
      buf = undefined
    }
    if (buf) {
      for (let o = 0; o + RECORD <= buf.length; o += RECORD) {
        known.set(fromBytes(buf.subarray(o, o + 32)), {
          ino: buf.readBigUInt64LE(o + 32), size: buf.readBigUInt64LE(o + 40), mtimeNs: buf.readBigUInt64LE(o + 48),
          mode: buf.readUInt32LE(o + 56), uid: buf.readUInt32LE(o + 60), gid: buf.readUInt32LE(o + 64),
        })
      }
    }
  }
  return {
    verifiedSize: (csum) => {
      const k = known.get(csum)
      if (!k) return undefined
      const now = statOf(repo, csum)
      return now && same(now, k) ? now.size : undefined
    },
    add: (csum) => {
      if (repo.mode === "archive") return
      const now = statOf(repo, csum)
      if (!now) return
      const k = known.get(csum)
      if (k && same(k, now)) return
      known.set(csum, now)
      const rec = Buffer.alloc(RECORD)
      rec.set(toBytes(csum))
      rec.writeBigUInt64LE(now.ino, 32)
      rec.writeBigUInt64LE(now.size, 40)
      rec.writeBigUInt64LE(now.mtimeNs, 48)
      rec.writeUInt32LE(now.mode, 56)
      rec.writeUInt32LE(now.uid, 60)
      rec.writeUInt32LE(now.gid, 64)
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
