/**
 * Commit objects `(a{sv}aya(say)sstayay)` (ostree-core.h; FORMATS.md §2.2). The timestamp is
 * stored big-endian; everything else in host (little-endian) order.
 */
import { parse, serialize, bswap64, type VarDict, isVariant } from "../gvariant/index.js"
import { fromBytes, sha256, toBytes, type Checksum } from "./checksum.js"
import { invalid } from "./error.js"

export const COMMIT_TYPE = "(a{sv}aya(say)sstayay)"

export interface Commit {
  readonly metadata: VarDict
  readonly parent: Checksum | null
  readonly subject: string
  readonly body: string
  /** Seconds since the epoch, UTC. */
  readonly timestamp: bigint
  readonly rootTree: Checksum
  readonly rootMeta: Checksum
}

export const serializeCommit = (c: Commit): Uint8Array =>
  serialize(COMMIT_TYPE, [
    c.metadata,
    c.parent ? toBytes(c.parent) : new Uint8Array(0),
    [],
    c.subject,
    c.body,
    bswap64(c.timestamp),
    toBytes(c.rootTree),
    toBytes(c.rootMeta),
  ])

export const parseCommit = (bytes: Uint8Array): Commit => {
  let v: unknown[]
  try {
    v = parse(COMMIT_TYPE, bytes) as unknown[]
  } catch (e) {
    throw invalid("commit", (e as Error).message)
  }
  const [metadata, parent, , subject, body, ts, tree, meta] = v as [
    Array<[string, unknown]>, Uint8Array, unknown, string, string, bigint, Uint8Array, Uint8Array,
  ]
  for (const [k, val] of metadata) {
    if (k.length === 0) throw invalid("commit", "empty metadata key")
    if (!isVariant(val)) throw invalid("commit", `metadata ${k} is not a variant`)
  }
  if (parent.length !== 0 && parent.length !== 32) throw invalid("commit", "parent checksum has a bad length")
  return {
    metadata: metadata as unknown as VarDict,
    parent: parent.length ? fromBytes(parent, "commit parent") : null,
    subject,
    body,
    timestamp: bswap64(ts),
    rootTree: fromBytes(tree, "commit root dirtree"),
    rootMeta: fromBytes(meta, "commit root dirmeta"),
  }
}

/** hex(SHA-256(root dirtree bytes ‖ root dirmeta bytes)): equal trees give equal ContentChecksums. */
export const commitContentChecksum = (c: Pick<Commit, "rootTree" | "rootMeta">): Checksum =>
  sha256(toBytes(c.rootTree), toBytes(c.rootMeta))
