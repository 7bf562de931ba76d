/**
 * Re-hashing a content object without holding large payloads in memory: the checksummed header
 * rebuilt from the object's metadata, then the payload (inflated for archive) fed through
 * SHA-256, synchronously through one reused buffer: no per-object allocation or threadpool hop
 * (fsck spreads objects over worker threads instead). Only archive payloads too large to inflate
 * in one piece are streamed.
 */
import { createHash, type Hash } from "node:crypto"
import { closeSync, createReadStream, openSync, readFileSync, readSync } from "node:fs"
import { createInflateRaw, inflateRawSync } from "node:zlib"
import { fileHeaderBytes, isSymlink, type Checksum } from "../../formats/ostree/index.js"
import { RepoError, fsError } from "./error.js"
import { readContentInfo, type ContentInfo } from "./content-meta.js"
import { objectPath } from "./object-read.js"
import type { Repo } from "./repo.js"

/** Payloads up to this size are processed in one piece; larger ones in chunks. */
const WHOLE_MAX = 16 << 20
const CHUNK = 1 << 20

let shared = Buffer.allocUnsafe(1 << 20)
const scratch = (size: number): Buffer => {
  if (shared.length < size) shared = Buffer.allocUnsafe(Math.max(size, shared.length * 2))
  return shared
}

const corrupt = (csum: Checksum, detail: string): RepoError =>
  new RepoError({ op: "verify file", reason: "Corrupt", detail: `object ${csum}.file is corrupted: ${detail}` })

/** Feeds `len` bytes of `path` from `pos` into `h`, synchronously, through the shared buffer. */
const hashRange = (h: Hash, path: string, pos: number, len: number): number => {
  const fd = openSync(path, "r")
  try {
    const buf = scratch(Math.min(len, WHOLE_MAX))
    let done = 0
    while (done < len) {
      const r = readSync(fd, buf, 0, Math.min(buf.length, len - done), pos + done)
      if (r === 0) break
      h.update(buf.subarray(0, r))
      done += r
    }
    // A file that grew behind our back is as wrong as one that shrank.
    if (done === len && readSync(fd, buf, 0, 1, pos + done) !== 0) return len + 1
    return done
  } finally {
    closeSync(fd)
  }
}

/**
 * Largest archive payload inflated in one piece. Bigger ones stream through a 1 MB window: most
 * bytes of an OS tree are in a few large files, and whole-buffer inflates of those left hundreds
 * of MB of garbage waiting for the GC (measured on the bench tree).
 */
export const SYNC_INFLATE_MAX = 1 << 20

/** Inflates a whole (small) archive payload synchronously; at most one byte more than the header says. */
const inflateArchiveSync = (path: string, info: ContentInfo): Buffer => {
  const compressed = info.storedSize - info.payloadOffset
  const fd = openSync(path, "r")
  let bytes: Buffer
  try {
    bytes = scratch(compressed)
    let n = 0
    while (n < compressed) {
      const r = readSync(fd, bytes, n, compressed - n, info.payloadOffset + n)
      if (r === 0) break
      n += r
    }
    bytes = bytes.subarray(0, n)
  } finally {
    closeSync(fd)
  }
  return inflateRawSync(bytes, { maxOutputLength: info.size + 1 })
}

/** Streams a large archive payload through inflate into `h`; returns the uncompressed length. */
const hashArchiveStream = async (h: Hash, path: string, info: ContentInfo): Promise<number> => {
  let total = 0
  const inflater = createInflateRaw()
  createReadStream(path, { start: info.payloadOffset, highWaterMark: CHUNK }).on("error", (e) => inflater.destroy(e)).pipe(inflater)
  for await (const chunk of inflater) {
    total += (chunk as Buffer).length
    if (total > info.size) {
      inflater.destroy()
      break
    }
    h.update(chunk as Buffer)
  }
  return total
}

const notFound = (csum: Checksum): RepoError => new RepoError({ op: "verify file", reason: "NotFound", detail: `no such content object ${csum}` })

const payloadError = (csum: Checksum, path: string, e: unknown): RepoError => {
  const code = (e as NodeJS.ErrnoException).code
  if (code === "ENOENT") return notFound(csum)
  if (code && !code.startsWith("Z_") && code !== "ERR_BUFFER_TOO_LARGE") return fsError("verify file", path, e)
  return corrupt(csum, `payload does not inflate: ${(e as Error).message}`)
}

const finish = (csum: Checksum, h: Hash, info: ContentInfo, got: number): ContentInfo => {
  if (got !== info.size) throw corrupt(csum, `payload is ${got > info.size ? "longer" : "shorter"} than the ${info.size} bytes its header records`)
  const actual = h.digest("hex")
  if (actual !== csum) throw corrupt(csum, `checksum expected='${csum}' actual='${actual}'`)
  return info
}

/** True when verifyContentSync can check this object (everything but huge archive payloads). */
export const verifiableSync = (repo: Repo, info: ContentInfo): boolean => repo.mode !== "archive" || info.size <= SYNC_INFLATE_MAX

/**
 * Verifies content object `csum` synchronously (see verifiableSync): parseable, its payload the
 * size its header says, header + payload hashing to its name. Throws RepoError NotFound or Corrupt.
 */
export const verifyContentSync = (repo: Repo, csum: Checksum, known?: ContentInfo): ContentInfo => {
  const info = known ?? readContentInfo(repo, csum)
  const path = objectPath(repo, csum, "file")
  const h = createHash("sha256").update(fileHeaderBytes(info.meta))
  if (isSymlink(info.meta)) return finish(csum, h, info, 0)
  let got: number
  try {
    if (repo.mode === "archive") {
      const data = inflateArchiveSync(path, info)
      h.update(data)
      got = data.length
    } else got = hashRange(h, path, 0, info.size)
  } catch (e) {
    throw payloadError(csum, path, e)
  }
  return finish(csum, h, info, got)
}

/**
 * The payload of a regular-file content object small enough to inflate in one piece (see
 * verifiableSync), read once and verified against the object's name: what pull-local copies.
 */
export const readVerifiedPayload = (repo: Repo, csum: Checksum, info: ContentInfo): Buffer => {
  const path = objectPath(repo, csum, "file")
  let data: Buffer
  try {
    data = repo.mode === "archive" ? inflateArchiveSync(path, info) : readFileSync(path)
  } catch (e) {
    throw payloadError(csum, path, e)
  }
  finish(csum, createHash("sha256").update(fileHeaderBytes(info.meta)).update(data), info, data.length)
  return data
}

/** verifyContentSync, streaming the payloads too large to inflate in one piece. */
export const verifyContent = async (repo: Repo, csum: Checksum, known?: ContentInfo): Promise<ContentInfo> => {
  const info = known ?? readContentInfo(repo, csum)
  if (verifiableSync(repo, info)) return verifyContentSync(repo, csum, info)
  const path = objectPath(repo, csum, "file")
  const h = createHash("sha256").update(fileHeaderBytes(info.meta))
  let got: number
  try {
    got = await hashArchiveStream(h, path, info)
  } catch (e) {
    throw payloadError(csum, path, e)
  }
  return finish(csum, h, info, got)
}
