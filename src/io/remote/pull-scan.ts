/**
 * The object walk of an HTTP pull (ostree-repo-pull.c scan_dirtree_object): from a commit's root
 * dirtree and dirmeta down, every dirtree is read — from this repo when it is here, else fetched
 * — and every object missing here is fetched, verified and written. Like ostree, trees already
 * here are still walked (a dirtree may belong to a partial commit), but only missing objects
 * cost a request.
 *
 * Work is a flat group of tasks, so the first failure stops new requests and the caller can
 * wait for the ones in flight before committing what was written. Metadata and content have
 * separate request budgets, so file downloads never starve the walk that discovers them.
 */
import { readdirSync } from "node:fs"
import {
  loosePath, parseDirtree, type Checksum, type Dirtree, type FileMeta, type ObjectType,
} from "../../formats/ostree/index.js"
import { budget, type Budget } from "../repo/limit.js"
import { loadDirtree } from "../repo/object-read.js"
import { isArchive, type Repo } from "../repo/repo.js"
import { writeContentFrom, writeMetadata } from "../repo/transaction.js"
import type { BatchWriter } from "./batch-writer.js"
import { RemoteError } from "./error.js"
import type { Fetcher } from "./fetcher.js"
import { unstorable } from "./filez-decode.js"
import { stageFilez, type FilezPool } from "./filez-pool.js"
import { fetchMetadata, type FetchedContent } from "./object-fetch.js"
import type { PullCounters } from "./progress.js"

/** Objects in this repo: one readdir per `objects/XX` on first use, plus what this pull wrote. */
export interface ObjectIndex {
  readonly has: (csum: Checksum, type: ObjectType) => boolean
  readonly add: (csum: Checksum, type: ObjectType) => void
}

export const makeObjectIndex = (repo: Repo): ObjectIndex => {
  const dirs = new Map<string, Set<string>>()
  const written = new Set<string>()
  const archive = isArchive(repo)
  return {
    has: (csum, type) => {
      const rel = loosePath(csum, type, archive)
      if (written.has(rel)) return true
      const prefix = csum.slice(0, 2)
      let set = dirs.get(prefix)
      if (!set) {
        try {
          set = new Set(readdirSync(`${repo.path}/objects/${prefix}`))
        } catch {
          set = new Set()
        }
        dirs.set(prefix, set)
      }
      return set.has(rel.slice(11))
    },
    add: (csum, type) => void written.add(loosePath(csum, type, archive)),
  }
}

/** A set of concurrent tasks that stops launching new ones at the first failure. */
export interface TaskGroup {
  readonly spawn: (f: () => Promise<void>) => void
  /** Waits until no task is left; rethrows the first failure. */
  readonly wait: () => Promise<void>
  readonly stopped: () => boolean
  readonly fail: (e: unknown) => void
}

export const makeTaskGroup = (): TaskGroup => {
  const pending = new Set<Promise<void>>()
  let error: unknown
  let stopped = false
  const fail = (e: unknown): void => {
    if (stopped) return
    stopped = true
    error = e
  }
  return {
    stopped: () => stopped,
    fail,
    spawn: (f) => {
      if (stopped) return
      const p: Promise<void> = f().catch(fail).finally(() => pending.delete(p))
      pending.add(p)
    },
    wait: async () => {
      while (pending.size) await Promise.allSettled([...pending])
      if (stopped) throw error
    },
  }
}

export interface ScanContext {
  readonly repo: Repo
  readonly meta: Fetcher
  readonly content: Fetcher
  readonly writer: BatchWriter
  readonly index: ObjectIndex
  readonly tasks: TaskGroup
  readonly counters: PullCounters
  /** Verifies and stores fetched `.filez` objects on worker threads. */
  readonly filez: FilezPool
  /** Concurrent metadata and content requests. */
  readonly metaLimit?: Budget
  readonly contentLimit?: Budget
}

const checkStorable = (repo: Repo, csum: Checksum, m: FileMeta): void => {
  const why = unstorable(repo.mode, csum, m)
  if (why) throw new RemoteError({ op: "pull", reason: "Unsupported", detail: why })
}

export interface Scanner {
  /** Queues the walk of a tree (root dirtree + dirmeta); `ScanContext.tasks.wait()` awaits it. */
  readonly scanTree: (tree: Checksum, meta: Checksum) => void
  /** Queues one metadata object (fetched if missing). */
  readonly ensureMetadata: (type: ObjectType, csum: Checksum) => void
  /** Stores verified content (from a delta) unless it is here. */
  readonly storeContent: (csum: Checksum, c: FetchedContent) => Promise<void>
  /** Stores a verified metadata object (from a delta) unless it is here. */
  readonly storeMetadata: (type: ObjectType, csum: Checksum, bytes: Uint8Array) => Promise<void>
  readonly index: ObjectIndex
}

export const makeScanner = (ctx: ScanContext): Scanner => {
  const metaLimit = ctx.metaLimit ?? budget(8)
  const contentLimit = ctx.contentLimit ?? budget(24)
  const seen = new Set<string>()
  const first = (key: string): boolean => (seen.has(key) ? false : (seen.add(key), true))
  const live = (): void => {
    if (ctx.tasks.stopped()) throw new RemoteError({ op: "pull", reason: "Io", detail: "cancelled" })
  }

  const storeMetadata = async (type: ObjectType, csum: Checksum, bytes: Uint8Array): Promise<void> => {
    if (ctx.index.has(csum, type)) return
    await ctx.writer.write(bytes.length, (txn) => writeMetadata(txn, type, bytes))
    ctx.index.add(csum, type)
  }

  const storeContent = async (csum: Checksum, c: FetchedContent): Promise<void> => {
    checkStorable(ctx.repo, csum, c.meta)
    await ctx.writer.write(c.data.length, (txn) => writeContentFrom(txn, c.meta, { data: c.data }, csum))
    ctx.index.add(csum, "file")
    ctx.counters.contentWritten++
  }

  const fetchFile = async (csum: Checksum): Promise<void> => {
    ctx.counters.contentRequested++
    // The budget covers the body until a worker has verified and staged it: it bounds memory.
    await contentLimit.run(1, async () => {
      live()
      const body = (await ctx.content.get(loosePath(csum, "file", true)))!
      ctx.counters.contentFetched++
      // Stored even when another task has failed meanwhile: it is verified, and keeping it is
      // what lets the re-run skip it.
      await ctx.writer.write(body.length, (txn) => stageFilez(ctx.filez, txn, csum, body))
    })
    ctx.index.add(csum, "file")
    ctx.counters.contentWritten++
  }

  const fetchMeta = async (type: ObjectType, csum: Checksum): Promise<Uint8Array> => {
    ctx.counters.metadataRequested++
    const bytes = (await metaLimit.run(1, async () => {
      live()
      return fetchMetadata(ctx.meta, type, csum)
    }))!
    ctx.counters.metadataFetched++
    live()
    await ctx.writer.write(bytes.length, (txn) => writeMetadata(txn, type, bytes))
    ctx.index.add(csum, type)
    return bytes
  }

  const walkDirtree = async (csum: Checksum): Promise<void> => {
    let dt: Dirtree
    if (ctx.index.has(csum, "dirtree")) dt = await loadDirtree(ctx.repo, csum).catch(async () => parseDirtree(await fetchMeta("dirtree", csum)))
    else dt = parseDirtree(await fetchMeta("dirtree", csum))
    for (const f of dt.files) {
      if (ctx.index.has(f.checksum, "file") || !first(`${f.checksum}.file`)) continue
      ctx.tasks.spawn(() => fetchFile(f.checksum))
    }
    for (const d of dt.dirs) {
      ensureMetadata("dirmeta", d.meta)
      if (first(`${d.tree}.dirtree`)) ctx.tasks.spawn(() => walkDirtree(d.tree))
    }
  }

  const ensureMetadata = (type: ObjectType, csum: Checksum): void => {
    if (ctx.index.has(csum, type) || !first(`${csum}.${type}`)) return
    ctx.tasks.spawn(async () => void (await fetchMeta(type, csum)))
  }

  return {
    scanTree: (tree, meta) => {
      ensureMetadata("dirmeta", meta)
      if (first(`${tree}.dirtree`)) ctx.tasks.spawn(() => walkDirtree(tree))
    },
    ensureMetadata,
    storeContent,
    storeMetadata,
    index: ctx.index,
  }
}
