/**
 * Fetching one object from an archive remote and proving it is what its name says
 * (ostree-repo-pull.c meta_fetch_on_complete / content_fetch_on_complete; FORMATS.md §4.2):
 * a metadata object must hash to its name and parse as its type. Nothing here writes: callers
 * store only what these functions returned. (`.filez` objects are checked on worker threads:
 * filez-decode.ts, filez-pool.ts.)
 */
import { createHash } from "node:crypto"
import {
  loosePath, parseCommit, parseDirmeta, parseDirtree, type Checksum, type FileMeta, type ObjectType,
} from "../../formats/ostree/index.js"
import { RemoteError } from "./error.js"
import type { Fetcher } from "./fetcher.js"

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
