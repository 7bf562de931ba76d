/**
 * The repository `summary` (ostree-repo.c ostree_repo_regenerate_summary; FORMATS.md §4.1):
 * every local ref with its commit's size, timestamp and version, plus repo-wide metadata.
 * Built like ostree builds it — refs sorted by strcmp, both `a{sv}`s in GVariantDict order — so
 * the bytes equal ostree's for the same repo and time. Written under the exclusive repo lock via
 * temp + rename; the now-stale `summary.sig` is removed; `core.indexed-deltas` is set as ostree does.
 */
import { createHash } from "node:crypto"
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { bswap64, glibDict, lookup, variant, type Variant } from "../../formats/gvariant/index.js"
import { getBoolean, getString, setString } from "../../formats/keyfile.js"
import {
  parseCommit, parseSummary, serializeSummary, summaryRefMetadata, type Checksum, type Summary, type SummaryRef,
} from "../../formats/ostree/index.js"
import { RepoError, fsError } from "./error.js"
import { readMetadataObject } from "./object-read.js"
import { listRefs } from "./refs.js"
import { openRepo, writeRepoConfig, type Repo } from "./repo.js"
import { flock } from "./syscalls.js"

export interface SummaryOptions {
  /** `ostree.summary.last-modified`, seconds; default now. */
  readonly lastModified?: bigint
  /** Extra entries (`summary -m KEY=VALUE`), inserted before ostree's own keys. */
  readonly metadata?: ReadonlyArray<readonly [string, Variant]>
}

const refEntry = async (repo: Repo, ref: string, csum: Checksum): Promise<SummaryRef> => {
  const bytes = await readMetadataObject(repo, "commit", csum)
  let c
  try {
    c = parseCommit(bytes)
  } catch (e) {
    throw new RepoError({ op: "summary", reason: "Corrupt", detail: `object ${csum}.commit is corrupted: ${(e as Error).message}` })
  }
  const version = lookup(c.metadata, "version")
  const meta = summaryRefMetadata(c.timestamp, version?.type === "s" ? (version.value as string) : undefined)
  // GVariantDict order, version inserted before the timestamp as ostree does.
  return { ref, commitSize: BigInt(bytes.length), checksum: csum, metadata: glibDict([...meta].reverse()) }
}

/** Modified base64 (ostree_checksum_b64_*): '/' becomes '_', no padding. */
const b64ToHex = (s: string): string | undefined => {
  if (!/^[A-Za-z0-9+_]{43}$/.test(s)) return undefined
  return Buffer.from(s.replace(/_/g, "/") + "=", "base64").toString("hex")
}

/** Static deltas present under deltas/: name ("FROM-TO" or "TO", hex) → SHA-256 of the superblock. */
const staticDeltas = async (repo: Repo): Promise<Array<readonly [string, Variant]>> => {
  const base = join(repo.path, "deltas")
  const out: Array<readonly [string, Variant]> = []
  for (const pre of (await readdir(base).catch(() => [] as string[])).sort()) {
    for (const rest of (await readdir(join(base, pre)).catch(() => [] as string[])).sort()) {
      const [a, b] = (pre + rest).split("-")
      const name = b === undefined ? b64ToHex(a!) : `${b64ToHex(a!)}-${b64ToHex(b)}`
      if (!name || name.includes("undefined")) continue
      const sb = await readFile(join(base, pre, rest, "superblock")).catch(() => undefined)
      if (sb) out.push([name, variant("ay", createHash("sha256").update(sb).digest())])
    }
  }
  return out
}

/** Builds the summary for the repo as it is now. */
export const buildSummary = async (repo: Repo, opts: SummaryOptions = {}): Promise<Summary> => {
  const collectionId = getString(repo.config, "core", "collection-id")
  const heads = await listRefs(repo, { heads: true, remotes: false, mirrors: false })
  const refs = await Promise.all(heads.map((r) => refEntry(repo, r.ref, r.checksum)))
  const entries: Array<readonly [string, Variant]> = [...(opts.metadata ?? [])]
  const deltas = await staticDeltas(repo)
  if (deltas.length) entries.push(["ostree.static-deltas", variant("a{sv}", glibDict(deltas))])
  const now = opts.lastModified ?? BigInt(Math.floor(Date.now() / 1000))
  entries.push(["ostree.summary.last-modified", variant("t", bswap64(now))])
  entries.push(["ostree.summary.mode", variant("s", getString(repo.config, "core", "mode") ?? "bare")])
  entries.push(["ostree.summary.tombstone-commits", variant("b", getBoolean(repo.config, "core", "tombstone-commits") ?? false)])
  entries.push(["ostree.summary.indexed-deltas", variant("b", true)])
  if (collectionId) {
    // Mirrored refs of other collections go into a map keyed by collection id.
    const byCollection = new Map<string, SummaryRef[]>()
    for (const m of await listRefs(repo, { heads: false, remotes: false, mirrors: true })) {
      const cid = m.kind.slice("mirrors/".length)
      const entry = await refEntry(repo, m.ref, m.checksum)
      if (cid === collectionId) {
        if (!refs.some((r) => r.ref === m.ref)) refs.push(entry)
        continue
      }
      if (!byCollection.has(cid)) byCollection.set(cid, [])
      byCollection.get(cid)!.push(entry)
    }
    if (byCollection.size) {
      const map = [...byCollection.keys()].sort().map((cid) => [cid, toRefArray(byCollection.get(cid)!)] as const)
      entries.push(["ostree.summary.collection-map", variant("a{sa(s(taya{sv}))}", map)])
    }
    entries.push(["ostree.summary.collection-id", variant("s", collectionId)])
  }
  return { refs, metadata: glibDict(entries) }
}

/** A ref list in summary form, sorted by strcmp, for the collection map. */
const toRefArray = (refs: SummaryRef[]): unknown =>
  [...refs]
    .sort((a, b) => Buffer.compare(Buffer.from(a.ref), Buffer.from(b.ref)))
    .map((r) => [r.ref, [r.commitSize, Buffer.from(r.checksum, "hex"), r.metadata]])

/** `summary -u`: regenerate and write `summary` atomically. */
export const updateSummary = async (path: string, opts: SummaryOptions = {}): Promise<Summary> => {
  const lock = await flock(join(path, ".lock"), { exclusive: true, op: "summary" })
  try {
    const repo = await openRepo(path) // under the lock: the config and refs as they are now
    const summary = await buildSummary(repo, opts)
    const bytes = serializeSummary(summary)
    const dest = join(repo.path, "summary")
    try {
      await writeFile(`${dest}.tmp-${process.pid}`, bytes, { mode: 0o644 })
      await rename(`${dest}.tmp-${process.pid}`, dest)
      await rm(join(repo.path, "summary.sig"), { force: true })
    } catch (e) {
      throw fsError("summary", dest, e)
    }
    if (getString(repo.config, "core", "indexed-deltas") !== "true") {
      setString(repo.config, "core", "indexed-deltas", "true")
      await writeRepoConfig(repo)
    }
    return summary
  } finally {
    await lock.release()
  }
}

export interface SummaryFile {
  readonly summary: Summary
  readonly bytes: Uint8Array
}

/** The summary file as it is on disk. */
export const readSummary = async (repo: Repo): Promise<SummaryFile> => {
  const p = join(repo.path, "summary")
  let bytes: Buffer
  try {
    bytes = await readFile(p)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new RepoError({ op: "summary", reason: "NotFound", path: p, detail: "no summary file (use -u to create it)" })
    throw fsError("summary", p, e)
  }
  try {
    return { summary: parseSummary(bytes), bytes }
  } catch (e) {
    throw new RepoError({ op: "summary", reason: "Corrupt", path: p, detail: (e as Error).message })
  }
}
