/**
 * `pull REMOTE [REF…]` over HTTP (or file://) from an archive remote (ostree-repo-pull.c;
 * FORMATS.md §4.2–4.3). The order is ostree's: summary.sig, summary, config, refs; then for each
 * commit its .commitmeta and .commit; then, when the remote offers one and deltas are enabled,
 * a static delta; then the tree — dirtree/dirmeta and every missing .filez.
 *
 * Safety, in this order:
 *  1. every commit to be pulled (with `depth` parents) is fetched and verified in memory —
 *     checksum, signatures, ref binding, no downgrade — before anything is written;
 *  2. each commit is marked `state/<c>.commitpartial`, then objects are written through batched
 *     transactions, each verified before it is written (see batch-writer.ts for why batches);
 *  3. when every tree is complete the markers are removed, and only then do the refs move
 *     (`refs/remotes/REMOTE/REF`, or `refs/heads/REF` for a mirror) in one last transaction.
 * An interrupted pull leaves its objects and markers; the next pull walks the same trees and
 * fetches only what is missing.
 */
import { writeFile, rename } from "node:fs/promises"
import { join } from "node:path"
import type { Checksum } from "../../formats/ostree/index.js"
import { clearCommitPartial, markCommitPartial } from "../repo/commit-state.js"
import { budget } from "../repo/limit.js"
import { loadCommit } from "../repo/object-read.js"
import { readRef } from "../repo/refs.js"
import { isArchive, type Repo } from "../repo/repo.js"
import { withTransaction, setRef, writeMetadata, type TransactionStats } from "../repo/transaction.js"
import { makeBatchWriter } from "./batch-writer.js"
import { applyDelta, findDelta } from "./delta-pull.js"
import { writeDetachedBytes } from "./detached-meta.js"
import { RemoteError } from "./error.js"
import { makeFetcher } from "./fetcher.js"
import { makeFilezPool } from "./filez-pool.js"
import { newCounters, type PullPhase, type PullProgress } from "./progress.js"
import { checkNotOlder, verifiedCommit, type VerifiedCommit } from "./pull-commits.js"
import { makeObjectIndex, makeScanner, makeTaskGroup } from "./pull-scan.js"
import { getRemote, remoteList, remoteString } from "./remote-config.js"
import { checkRemoteMode, fetchSummary, resolveWants } from "./remote-summary.js"
import { policyFor } from "./verify.js"

export interface PullOptions {
  readonly remote: string
  /** Refs or commit checksums; default the remote's `branches` (a mirror: every ref). */
  readonly refs?: ReadonlyArray<string>
  /** Parents to pull too: 0 (default) none, -1 all. */
  readonly depth?: number
  /** Fetch and verify the commits only; they stay marked partial. */
  readonly commitMetadataOnly?: boolean
  /** Write refs/heads and copy the summary, like `ostree pull --mirror`. */
  readonly mirror?: boolean
  readonly disableStaticDeltas?: boolean
  readonly allowDowngrade?: boolean
  /** Where remotes.d and the trusted key dirs are found. */
  readonly sysroot?: string
  readonly onProgress?: (p: PullProgress) => void
  readonly signal?: AbortSignal
  /** Connection and retry knobs (tests and benchmarks). */
  readonly connections?: number
  readonly timeoutMs?: number
  readonly retries?: number
}

export interface PulledRef {
  readonly kind: string
  readonly ref: string
  readonly commit: Checksum
  readonly previous?: Checksum
}

export interface PullResult {
  readonly refs: ReadonlyArray<PulledRef>
  readonly stats: TransactionStats
  readonly metadataFetched: number
  readonly contentFetched: number
  readonly deltaPartsFetched: number
  readonly bytesTransferred: number
  readonly seconds: number
}

export const pull = async (repo: Repo, opts: PullOptions): Promise<PullResult> => {
  const remote = await getRemote({ repo, sysroot: opts.sysroot }, opts.remote)
  const url = remoteString(remote, "url")
  if (!url) throw new RemoteError({ op: "pull", reason: "Invalid", detail: `remote "${remote.name}" has no url` })
  const contentUrl = remoteString(remote, "contenturl") ?? url
  // Keep-alive connections per origin. 16, not 8: with 8, a full pull from a loopback archive
  // left both inflating workers idle ~40% of the time waiting for bodies (the server's per-request
  // latency, not bandwidth, bounded it); 16 took the bench's full pull from ~4.9 s to ~4.4 s.
  const connections = opts.connections ?? 16
  const knobs = { connections, timeoutMs: opts.timeoutMs, retries: opts.retries, signal: opts.signal }
  const meta = makeFetcher({ url, ...knobs })
  const content = contentUrl === url ? meta : makeFetcher({ url: contentUrl, ...knobs })
  const counters = newCounters()
  let phase: PullPhase = "summary"
  const report = (p: PullPhase = phase): void => {
    phase = p
    counters.bytesTransferred = meta.stats.bytes + (content === meta ? 0 : content.stats.bytes)
    opts.onProgress?.({ phase, counters })
  }
  const ticker = opts.onProgress ? setInterval(() => report(), 250) : undefined
  const filez = makeFilezPool()
  try {
    const policy = policyFor({ repo, remote, sysroot: opts.sysroot })
    report("summary")
    const remoteSummary = await fetchSummary({ fetcher: meta, policy })
    await checkRemoteMode({ fetcher: meta, summary: remoteSummary.summary })
    const explicit = opts.refs ?? []
    const branches = explicit.length ? explicit : remoteList(remote, "branches")
    if (!opts.mirror && branches.length === 0) {
      throw new RemoteError({ op: "pull", reason: "Invalid", detail: `No refs specified and no branches configured for remote "${remote.name}"` })
    }
    const wants = await resolveWants({ fetcher: meta, summary: remoteSummary.summary, refs: branches, all: !!opts.mirror && explicit.length === 0 && branches.length === 0 })
    const kind = opts.mirror ? "heads" : `remotes/${remote.name}`

    // 1. Verify every commit before writing anything.
    report("commits")
    const src = { repo, fetcher: meta, policy, collectionId: remoteString(remote, "collection-id") }
    const useDeltas = !opts.disableStaticDeltas && !opts.commitMetadataOnly && !isArchive(repo)
    const commits = new Map<Checksum, VerifiedCommit>()
    const deltas = new Map<Checksum, Awaited<ReturnType<typeof findDelta>>>()
    const refs: PulledRef[] = []
    for (const w of wants) {
      const previous = w.ref !== undefined ? await readRef(repo, kind, w.ref) : undefined
      let fromDelta
      if (useDeltas && !commits.has(w.commit)) {
        const d = await findDelta({ repo, fetcher: meta, summary: remoteSummary.summary, to: w.commit, current: previous })
        if (d) {
          deltas.set(w.commit, d)
          fromDelta = { bytes: d.commitBytes, ...(d.detached ? { detached: d.detached } : {}) }
        }
      }
      const v = commits.get(w.commit) ?? (await verifiedCommit(src, { csum: w.commit, ref: w.ref, fromDelta }))!
      commits.set(w.commit, v)
      if (previous && previous !== w.commit && !opts.allowDowngrade) {
        const cur = await loadCommit(repo, previous).catch(() => undefined)
        if (cur) checkNotOlder({ csum: previous, timestamp: cur.timestamp }, v)
      }
      if (w.ref !== undefined) refs.push({ kind, ref: w.ref, commit: w.commit, ...(previous ? { previous } : {}) })
      // Parents, up to depth: a parent the remote lacks ends the history quietly.
      let parent = v.commit.parent
      for (let d = opts.depth ?? 0; parent && (d === -1 || d > 0); d = d === -1 ? -1 : d - 1) {
        const p: VerifiedCommit | undefined = commits.get(parent) ?? (await verifiedCommit(src, { csum: parent, optional: true }))
        if (!p) break
        commits.set(parent, p)
        parent = p.commit.parent
      }
    }

    // 2. Objects, through batched transactions.
    report("objects")
    const writer = makeBatchWriter({ repo })
    const tasks = makeTaskGroup()
    const index = makeObjectIndex(repo)
    const scanner = makeScanner({
      repo, meta, content, writer, index, tasks, counters, filez,
      metaLimit: budget(Math.max(2, connections)), contentLimit: budget(3 * connections),
    })
    const toScan = [...commits.values()].filter((c) => !c.complete)
    try {
      for (const c of toScan) await markCommitPartial(repo, c.csum, "pull")
      for (const c of commits.values()) {
        if (c.detached) await writeDetachedBytes(repo, c.csum, c.detached)
        if (!c.local) await writer.write(c.bytes.length, (txn) => writeMetadata(txn, "commit", c.bytes))
      }
      if (!opts.commitMetadataOnly) {
        for (const c of toScan) {
          const d = deltas.get(c.csum)
          if (d) {
            report("delta")
            applyDelta({ plan: d, fetcher: content, repo, scanner, tasks, counters })
            await tasks.wait()
            report("objects")
          }
          scanner.scanTree(c.commit.rootTree, c.commit.rootMeta)
        }
        await tasks.wait()
      }
      report("committing")
      await writer.flush()
    } catch (e) {
      tasks.fail(e)
      await tasks.wait().catch(() => undefined)
      await writer.settle()
      throw e
    }
    // 3. Trees complete and durable: clear the markers, then move the refs.
    if (!opts.commitMetadataOnly) for (const c of toScan) await clearCommitPartial(repo, c.csum)
    await withTransaction(repo, async (txn) => {
      for (const r of refs) setRef(txn, r.ref, r.commit, r.kind)
    })
    if (opts.mirror && explicit.length === 0 && remoteSummary.bytes) await copySummary(repo, remoteSummary.bytes, remoteSummary.sigBytes)
    report("done")
    return {
      refs, stats: writer.stats,
      metadataFetched: counters.metadataFetched + commits.size,
      contentFetched: counters.contentFetched,
      deltaPartsFetched: counters.deltaPartsFetched,
      bytesTransferred: counters.bytesTransferred,
      seconds: (Date.now() - counters.startedAt) / 1000,
    }
  } finally {
    if (ticker) clearInterval(ticker)
    await filez.close()
    await meta.close()
    if (content !== meta) await content.close()
  }
}

/** A mirror serves what its source served: the summary and its signature, byte for byte. */
const copySummary = async (repo: Repo, bytes: Uint8Array, sig: Uint8Array | undefined): Promise<void> => {
  for (const [name, b] of [["summary", bytes], ["summary.sig", sig]] as const) {
    if (!b) continue
    const p = join(repo.path, name)
    await writeFile(`${p}.tmp-${process.pid}`, b, { mode: 0o644 })
    await rename(`${p}.tmp-${process.pid}`, p)
  }
}
