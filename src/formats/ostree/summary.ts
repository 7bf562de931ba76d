/**
 * The repo `summary` `(a(s(taya{sv}))a{sv})` (ostree-repo.c regenerate_metadata; FORMATS.md §4.1).
 * Ref entries sorted by strcmp; the commit size is host order, timestamps big-endian.
 */
import { bswap64, lookup, parse, serialize, variant, type VarDict } from "../gvariant/index.js"
import { fromBytes, toBytes, type Checksum } from "./checksum.js"
import { invalid } from "./error.js"

export const SUMMARY_TYPE = "(a(s(taya{sv}))a{sv})"

export interface SummaryRef {
  readonly ref: string
  readonly commitSize: bigint
  readonly checksum: Checksum
  readonly metadata: VarDict
}
export interface Summary {
  readonly refs: ReadonlyArray<SummaryRef>
  readonly metadata: VarDict
}

export const serializeSummary = (s: Summary): Uint8Array =>
  serialize(SUMMARY_TYPE, [
    [...s.refs]
      .sort((a, b) => Buffer.compare(Buffer.from(a.ref), Buffer.from(b.ref)))
      .map((r) => [r.ref, [r.commitSize, toBytes(r.checksum), r.metadata]]),
    s.metadata,
  ])

export const parseSummary = (bytes: Uint8Array): Summary => {
  let v: [Array<[string, [bigint, Uint8Array, VarDict]]>, VarDict]
  try {
    v = parse(SUMMARY_TYPE, bytes) as typeof v
  } catch (e) {
    throw invalid("summary", (e as Error).message)
  }
  return {
    refs: v[0].map(([ref, [size, csum, metadata]]) => ({ ref, commitSize: size, checksum: fromBytes(csum, "summary ref"), metadata })),
    metadata: v[1],
  }
}

/** The per-ref metadata ostree records: commit timestamp (BE) and version if the commit has one. */
export const summaryRefMetadata = (timestamp: bigint, version: string | undefined): VarDict => {
  const out: Array<readonly [string, ReturnType<typeof variant>]> = [["ostree.commit.timestamp", variant("t", bswap64(timestamp))]]
  if (version !== undefined) out.push(["ostree.commit.version", variant("s", version)])
  return out
}

export const summaryRefTimestamp = (r: SummaryRef): bigint | undefined => {
  const v = lookup(r.metadata, "ostree.commit.timestamp")
  return v ? bswap64(v.value as bigint) : undefined
}
