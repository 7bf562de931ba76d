/**
 * Writes a long pull through a series of repository transactions instead of one, so the objects
 * fetched before an interruption are already in `objects/` and a re-run does not fetch them
 * again (ostree gets the same from reusing its staging dir on the same boot; strata's
 * transactions discard a dead process's staging, so it commits in batches instead).
 *
 * A batch is committed once it holds `batchBytes` or is `batchMs` old; the next batch opens at
 * once and writes go on while the previous one syncs and renames. Commits run one after
 * another. Every staged object was verified before it was written, so a batch is committed even
 * when the pull fails elsewhere (`settle`): that is what makes the re-run resume. Refs are never
 * set here: the caller moves them once the whole pull is durable.
 *
 * Writeback starts early (git's core.fsyncMethod=batch idea): every `flushBytes` written, a
 * syncfs runs in the background while fetching goes on, so the commit's own syncfs — still the
 * one that makes the batch durable — finds little left to write instead of the whole pull.
 */
import {
  abortTransaction, beginTransaction, commitTransaction, type Transaction, type TransactionStats,
} from "../repo/transaction.js"
import type { Repo } from "../repo/repo.js"
import { syncfs } from "../repo/syscalls.js"

export interface BatchWriter {
  /** Runs `f` in the open transaction; `bytes` counts toward the batch size. */
  readonly write: <A>(bytes: number, f: (txn: Transaction) => Promise<A>) => Promise<A>
  /** Commits everything written so far. */
  readonly flush: () => Promise<void>
  /** After a failure: commits what was written, reporting no further error. */
  readonly settle: () => Promise<void>
  readonly stats: TransactionStats
}

interface Batch {
  readonly txn: Promise<Transaction>
  inflight: number
  bytes: number
  readonly opened: number
  closing: boolean
  drained?: () => void
}

export interface BatchWriterOptions {
  readonly repo: Repo
  readonly batchBytes?: number
  readonly batchMs?: number
  /** Bytes written between early writebacks (default 64 MiB). */
  readonly flushBytes?: number
  /** The early writeback (tests observe it); syncfs by default. */
  readonly writeback?: (path: string) => Promise<void>
}

export const makeBatchWriter = (opts: BatchWriterOptions): BatchWriter => {
  // Each commit syncs the filesystem on a threadpool thread that inflation would otherwise use:
  // few, large batches (STRATA_PULL_BATCH_MS overrides the age limit, for tests).
  const batchBytes = opts.batchBytes ?? 1 << 30
  const batchMs = opts.batchMs ?? (Number(process.env.STRATA_PULL_BATCH_MS) || 20_000)
  const stats: TransactionStats = { metadataWritten: 0, contentWritten: 0, contentBytesWritten: 0, objectsSkipped: 0 }
  let current: Batch | undefined
  let committing: Promise<void> = Promise.resolve()
  let failure: unknown
  // Fetched bytes (compressed: about half of what lands on disk) between early writebacks.
  const flushBytes = opts.flushBytes ?? 64 << 20
  let unflushed = 0
  let writeback: Promise<void> | undefined
  const startWriteback = (): void => {
    if (unflushed < flushBytes || writeback) return
    unflushed = 0
    // Only a head start: a failure here is the commit's syncfs to report.
    writeback = (opts.writeback ?? syncfs)(opts.repo.path).catch(() => undefined).finally(() => (writeback = undefined))
  }

  const open = (): Batch => ({ txn: beginTransaction(opts.repo), inflight: 0, bytes: 0, opened: Date.now(), closing: false })

  const addStats = (s: TransactionStats): void => {
    stats.metadataWritten += s.metadataWritten
    stats.contentWritten += s.contentWritten
    stats.contentBytesWritten += s.contentBytesWritten
    stats.objectsSkipped += s.objectsSkipped
  }

  /** Closes `b` to new writes; it commits once its writes have finished, after earlier batches. */
  const close = (b: Batch): Promise<void> => {
    b.closing = true
    const drained = b.inflight === 0 ? Promise.resolve() : new Promise<void>((r) => (b.drained = r))
    committing = committing.then(async () => {
      await drained
      const txn = await b.txn.catch((e: unknown) => void (failure ??= e))
      if (!txn) return
      if (failure) return void (await abortTransaction(txn))
      try {
        addStats(await commitTransaction(txn))
      } catch (e) {
        failure ??= e
      }
    })
    return committing
  }

  const write = async <A>(bytes: number, f: (txn: Transaction) => Promise<A>): Promise<A> => {
    if (failure) throw failure
    const b = (current ??= open())
    b.inflight++
    b.bytes += bytes
    try {
      return await f(await b.txn)
    } finally {
      unflushed += bytes
      startWriteback()
      b.inflight--
      if (b.closing && b.inflight === 0) b.drained?.()
      if (!b.closing && current === b && (b.bytes >= batchBytes || Date.now() - b.opened >= batchMs)) {
        current = undefined
        void close(b)
      }
    }
  }

  return {
    write,
    stats,
    flush: async () => {
      const b = current
      current = undefined
      await (b ? close(b) : committing)
      await writeback
      if (failure) throw failure
    },
    settle: async () => {
      const b = current
      current = undefined
      await (b ? close(b) : committing).catch(() => undefined)
      await writeback
    },
  }
}
