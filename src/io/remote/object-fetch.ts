/**
 * Fetching one object from an archive remote and proving it is what its name says
 * (ostree-repo-pull.c meta_fetch_on_complete / content_fetch_on_complete; FORMATS.md §4.2):
 * a metadata object must hash to its name and parse as its type; a `.filez` must parse, inflate
 * to exactly the size its header states, and header + content must hash to its name. Nothing
 * here writes: callers store only what these functions returned.
 *
 * Inflating runs on the libuv threadpool (async zlib), so concurrent fetches use both cores
 * while the main thread parses HTTP and hashes.
 */
import { createHash } from "node:crypto"
import { inflateRaw } from "node:zlib"
import { promisify } from "node:util"
import {
  fileHeaderBytes, isSymlink, loosePath, parseCommit, parseDirmeta, parseDirtree, parseFilezHeader,
  type Checksum, type FileMeta, type ObjectType,
} from "../../formats/ostree/index.js"
import { RemoteError } from "./error.js"
import type { Fetcher } from "./fetcher.js"

const inflateRawAsync = promisify(inflateRaw)

/** ostree's OSTREE_MAX_METADATA_SIZE: no dirtree or commit is this large. */
export const MAX_METADATA_SIZE = 128 << 20

const corrupt = (name: string, detail: string): RemoteError =>
  new RemoteError({ op: "pull", reason: "Corrupt", detail: `object ${name} from the remote is corrupted: ${detail}` })

const VALIDATE: Partial<Record<ObjectType, (b: Uint8Array) => unknown>> = {
  commit: parseCommit, dirtree: parseDirtree, dirmeta: parseDirmeta,
}

/** Checks bytes claimed to be metadata object `csum.type` (from the network or a delta). */
export const checkMetadata = (type: ObjectType, csum: Checksum, bytes: Uint8Array): void => {
  const name = `${csum}.${type}`
  if (createHash("sha256").update(bytes).digest("hex") !== csum) throw corrupt(name, "checksum mismatch")
  try {
    VALIDATE[type]?.(bytes)
  } catch (e) {
    throw corrupt(name, (e as Error).message)
  }
}

/** Fetches a metadata object; `optional` returns undefined on 404. */
export const fetchMetadata = async (f: Fetcher, type: ObjectType, csum: Checksum, optional = false): Promise<Uint8Array | undefined> => {
  const bytes = await f.get(loosePath(csum, type, true), { optional, maxBytes: MAX_METADATA_SIZE })
  if (bytes) checkMetadata(type, csum, bytes)
  return bytes
}

export interface FetchedContent {
  readonly meta: FileMeta
  /** The file's bytes; empty for a symlink. */
  readonly data: Buffer
  /** Bytes received. */
  readonly transferred: number
}

/** Turns `.filez` bytes into verified content. */
export const decodeFilez = async (csum: Checksum, body: Uint8Array): Promise<FetchedContent> => {
  const name = `${csum}.filez`
  let h
  try {
    h = parseFilezHeader(body)
  } catch (e) {
    throw corrupt(name, (e as Error).message)
  }
  let data: Buffer = Buffer.alloc(0)
  if (!isSymlink(h.meta)) {
    try {
      data = await inflateRawAsync(body.subarray(h.payloadOffset))
    } catch (e) {
      throw corrupt(name, `cannot inflate: ${(e as Error).message}`)
    }
    if (BigInt(data.length) !== h.size) throw corrupt(name, `inflated to ${data.length} bytes, header says ${h.size}`)
  }
  const hash = createHash("sha256").update(fileHeaderBytes(h.meta))
  if (!isSymlink(h.meta)) hash.update(data)
  if (hash.digest("hex") !== csum) throw corrupt(name, "checksum mismatch")
  return { meta: h.meta, data, transferred: body.length }
}

export const fetchContent = async (f: Fetcher, csum: Checksum): Promise<FetchedContent> =>
  decodeFilez(csum, (await f.get(loosePath(csum, "file", true)))!)
