/**
 * Static deltas during a pull (ostree-repo-pull.c get_best_static_delta_start_for,
 * on_superblock_fetched, process_one_static_delta; FORMATS.md §4.2, §5).
 *
 * Discovery: the delta index `delta-indexes/XX/REST.index` when the summary says
 * `ostree.summary.indexed-deltas`, else the summary's `ostree.static-deltas` map. A delta FROM-TO
 * is used when FROM is complete here (the newest such); a from-scratch delta only when this
 * repo has no commit for the ref yet (a few commits behind, objects are cheaper). Without a
 * summary, ostree's legacy guess is tried: the delta from the ref's current commit, or scratch.
 * The superblock must hash to the digest the summary/index gives; its commit is then verified
 * like any commit. Parts this repo already has every object of are skipped; the rest are
 * fetched (or read inline), checksummed, decompressed and executed. Fallback objects, and any
 * object a delta did not bring, are fetched by the tree walk that follows.
 */
import { createHash } from "node:crypto"
import { lookup, serialize, type VarDict } from "../../formats/gvariant/index.js"
import {
  deltaDir, deltaIndexPath, deltaMap, deltaName, parseDeltaIndex, parseDeltaName, parseSuperblock, unwrapSignedSuperblock,
  type Checksum, type Summary, type Superblock,
} from "../../formats/ostree/index.js"
import { commitState } from "../repo/commit-state.js"
import { hasObject, loadCommit } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { budget } from "../repo/limit.js"
import { executePart, openPart } from "./delta-apply.js"
import { RemoteError } from "./error.js"
import type { Fetcher } from "./fetcher.js"
import type { PullCounters } from "./progress.js"
import type { Scanner, TaskGroup } from "./pull-scan.js"

export interface DeltaPlan {
  readonly from: Checksum | null
  readonly to: Checksum
  readonly dir: string
  readonly superblock: Superblock
  readonly commitBytes: Uint8Array
  readonly detached?: Uint8Array
}

const isComplete = async (repo: Repo, c: Checksum): Promise<boolean> =>
  (await hasObject(repo, c, "commit")) && (await commitState(repo, c)) === "complete"

/** The deltas the remote advertises for `to` (name → superblock SHA-256), or undefined if it advertises none at all. */
const advertised = async (fetcher: Fetcher, summary: Summary | undefined, to: Checksum): Promise<Map<string, Uint8Array> | undefined> => {
  if (!summary) return undefined
  if (lookup(summary.metadata, "ostree.summary.indexed-deltas")?.value === true) {
    const b = await fetcher.get(deltaIndexPath(to), { optional: true, maxBytes: 16 << 20 })
    if (!b) return new Map()
    try {
      return parseDeltaIndex(b)
    } catch (e) {
      throw new RemoteError({ op: "pull", reason: "Corrupt", url: fetcher.baseUrl + deltaIndexPath(to), detail: (e as Error).message })
    }
  }
  return deltaMap(summary.metadata)
}

export const findDelta = async (opts: { repo: Repo; fetcher: Fetcher; summary?: Summary; to: Checksum; current?: Checksum }): Promise<DeltaPlan | undefined> => {
  const { repo, fetcher, to } = opts
  if (await isComplete(repo, to)) return undefined
  const known = await advertised(fetcher, opts.summary, to)
  let from: Checksum | null | undefined
  let digest: Uint8Array | undefined
  if (known) {
    let best: { c: Checksum; ts: bigint } | undefined
    let scratch = false
    for (const name of known.keys()) {
      let d
      try {
        d = parseDeltaName(name)
      } catch {
        throw new RemoteError({ op: "pull", reason: "Corrupt", detail: `the remote advertises an invalid static delta name "${name}"` })
      }
      if (d.to !== to) continue
      if (!d.from) scratch = true
      else if (await isComplete(repo, d.from)) {
        const ts = (await loadCommit(repo, d.from)).timestamp
        if (!best || ts > best.ts) best = { c: d.from, ts }
      }
    }
    if (best) from = best.c
    else if (scratch && !opts.current) from = null
    else return undefined
    digest = known.get(deltaName(from, to))
  } else {
    const cur = opts.current && (await isComplete(repo, opts.current)) ? opts.current : null
    if (cur === to) return undefined
    from = cur
  }
  const dir = deltaDir(from, to)
  const raw = await fetcher.get(`${dir}/superblock`, { optional: true, maxBytes: 256 << 20 })
  if (!raw) return undefined
  if (digest && !createHash("sha256").update(raw).digest().equals(digest)) {
    throw new RemoteError({ op: "pull", reason: "Corrupt", url: `${fetcher.baseUrl}${dir}/superblock`, detail: `Invalid checksum for static delta ${deltaName(from, to)}` })
  }
  let sb: Superblock
  try {
    sb = parseSuperblock(unwrapSignedSuperblock(raw).superblock)
  } catch (e) {
    throw new RemoteError({ op: "pull", reason: "Corrupt", url: `${fetcher.baseUrl}${dir}/superblock`, detail: (e as Error).message })
  }
  if (sb.to !== to || sb.from !== from) {
    throw new RemoteError({ op: "pull", reason: "Corrupt", url: `${fetcher.baseUrl}${dir}/superblock`, detail: `superblock is for ${deltaName(sb.from, sb.to)}, not ${deltaName(from, to)}` })
  }
  const meta = lookup(sb.metadata, `${dir}/commitmeta`)
  const detached = meta?.type === "a{sv}" ? serialize("a{sv}", meta.value as VarDict) : undefined
  return { from, to, dir, superblock: sb, commitBytes: sb.commit, ...(detached ? { detached } : {}) }
}

/** Inline part bytes: metadata `deltas/…/N` → v((yay)), the same bytes as a part file. */
const inlinePart = (sb: Superblock, dir: string, i: number): Uint8Array | undefined => {
  const v = lookup(sb.metadata, `${dir}/${i}`)
  if (v?.type !== "(yay)") return undefined
  const [comp, body] = v.value as [number, Uint8Array]
  return Buffer.concat([Buffer.of(comp), body])
}

export interface ApplyDeltaOptions {
  readonly plan: DeltaPlan
  readonly fetcher: Fetcher
  readonly repo: Repo
  readonly scanner: Scanner
  readonly tasks: TaskGroup
  readonly counters: PullCounters
}

/** Queues every needed part on `tasks`; two parts are decompressed and executed at a time. */
export const applyDelta = (opts: ApplyDeltaOptions): void => {
  const { plan, fetcher, scanner, tasks, counters, repo } = opts
  const limit = budget(2)
  plan.superblock.parts.forEach((header, i) => {
    if (header.version > 0) throw new RemoteError({ op: "pull", reason: "Unsupported", detail: `Delta part has too new version ${header.version}` })
    if (header.objects.every((o) => scanner.index.has(o.checksum, o.type))) return
    counters.deltaParts++
    tasks.spawn(() =>
      limit.run(1, async () => {
        const inline = inlinePart(plan.superblock, plan.dir, i)
        const bytes = inline ?? (await fetcher.get(`${plan.dir}/${i}`, { maxBytes: Number(header.size) + 1024 }))!
        const part = await openPart(bytes, inline ? undefined : header.checksum)
        counters.deltaPartsFetched++
        await executePart({
          repo, header, part,
          sink: {
            metadata: (type, csum, b) => scanner.storeMetadata(type, csum, b),
            content: async (csum, meta, data) => {
              if (!scanner.index.has(csum, "file")) await scanner.storeContent(csum, { meta, data, transferred: 0 })
            },
          },
        })
      }),
    )
  })
}
