/**
 * The checks on one fetched `.filez` (ostree-repo-pull.c content_fetch_on_complete;
 * FORMATS.md §4.2), synchronous and free of tagged errors so a worker thread can run them: the
 * header parses, the payload inflates to exactly the size the header states, and header +
 * content hash to the object's name. Failures come back as a detail string.
 */
import { createHash } from "node:crypto"
import { inflateRawSync } from "node:zlib"
import { fileHeaderBytes, isSymlink, parseFilezHeader, type Checksum, type FileMeta } from "../../formats/ostree/index.js"
import type { RepoMode } from "../repo/repo.js"

export type Decoded = { readonly ok: true; readonly meta: FileMeta; readonly data: Buffer } | { readonly ok: false; readonly detail: string }

const EMPTY = Buffer.alloc(0)

export const decodeFilezSync = (csum: Checksum, body: Uint8Array): Decoded => {
  let h
  try {
    h = parseFilezHeader(body)
  } catch (e) {
    return { ok: false, detail: (e as Error).message }
  }
  let data: Buffer = EMPTY
  if (!isSymlink(h.meta)) {
    // One byte more than declared is enough to detect a payload that inflates too far, without
    // letting a hostile object inflate without bound; and as one output chunk, zlib fills a
    // single buffer instead of concatenating 16 KiB pieces.
    const limit = h.size + 1n
    const opts = limit < BigInt(2 ** 31) ? { maxOutputLength: Number(limit), chunkSize: Math.max(64, Number(limit)) } : {}
    try {
      data = inflateRawSync(body.subarray(h.payloadOffset), opts)
    } catch (e) {
      const tooLarge = (e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE"
      return { ok: false, detail: tooLarge ? `inflates to more than the ${h.size} bytes its header says` : `cannot inflate: ${(e as Error).message}` }
    }
    if (BigInt(data.length) !== h.size) return { ok: false, detail: `inflated to ${data.length} bytes, header says ${h.size}` }
  }
  const hash = createHash("sha256").update(fileHeaderBytes(h.meta))
  if (!isSymlink(h.meta)) hash.update(data)
  if (hash.digest("hex") !== csum) return { ok: false, detail: "checksum mismatch" }
  return { ok: true, meta: h.meta, data }
}

/** Why `m` cannot be stored in a `mode` repo (bare-user-only keeps no owners, xattrs or modes beyond 0775). */
export const unstorable = (mode: RepoMode, csum: Checksum, m: FileMeta): string | undefined => {
  if (mode !== "bare-user-only") return undefined
  if (m.uid !== 0 || m.gid !== 0 || m.xattrs.length > 0 || (!isSymlink(m) && (m.mode & 0o7777 & ~0o775) !== 0)) {
    return `content object ${csum} (owner ${m.uid}:${m.gid}, mode ${(m.mode & 0o7777).toString(8)}, ${m.xattrs.length} xattrs) cannot be stored in a bare-user-only repository`
  }
  return undefined
}
