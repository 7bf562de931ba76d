/**
 * Content objects of a pull are verified and stored on worker threads (both cores inflate and
 * hash; the main thread only runs HTTP and moves buffers). The fetched body is transferred, not
 * copied; the worker writes the object at its staging path only after its checksum matched, and
 * the transaction makes it visible at commit, like any other staged object.
 */
import type { Checksum } from "../../formats/ostree/index.js"
import { makeWorkerPool, type WorkerPool } from "../../lib/worker-pool.js"
import type { RepoMode } from "../repo/repo.js"
import { stageContentWith, type Transaction } from "../repo/transaction.js"
import { RemoteError } from "./error.js"

export interface FilezJob {
  readonly csum: Checksum
  /** The `.filez` bytes, owning their ArrayBuffer (transferred). */
  readonly body: Uint8Array
  readonly dest: string
  readonly mode: RepoMode
}

export type FilezResult =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly kind: "corrupt" | "unsupported"; readonly detail: string }

export type FilezPool = WorkerPool<FilezJob, FilezResult>

export const makeFilezPool = (): FilezPool => makeWorkerPool<FilezJob, FilezResult>(new URL("./filez-worker.js", import.meta.url))

/**
 * Verifies `.filez` bytes as object `csum` and stages it in `txn` (unless it is there already).
 * `body` must own its ArrayBuffer; it is detached afterwards.
 */
export const stageFilez = async (pool: FilezPool, txn: Transaction, csum: Checksum, body: Uint8Array): Promise<void> => {
  if (body.byteOffset !== 0 || body.byteLength !== body.buffer.byteLength) throw new Error("stageFilez: body must own its ArrayBuffer")
  await stageContentWith(txn, csum, async (dest) => {
    const r = await pool.run({ csum, body, dest, mode: txn.repo.mode }, [body.buffer as ArrayBuffer])
    if (r.ok) return r.size
    if (r.kind === "unsupported") throw new RemoteError({ op: "pull", reason: "Unsupported", detail: r.detail })
    throw new RemoteError({ op: "pull", reason: "Corrupt", detail: `object ${csum}.filez from the remote is corrupted: ${r.detail}` })
  })
}
