/**
 * Runs import jobs on a pool of worker threads (pnpm's pattern: workers with sync fs, typed
 * messages, one writer of the index — here the main thread owns the transaction's bookkeeping).
 * Size: one worker per core (STRATA_WORKERS overrides); batches keep messages few.
 */
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { RepoError, fsError } from "./error.js"
import type { FromWorker, ImportJob, ImportResult, ToWorker } from "./import-types.js"
import type { Repo, RepoMode } from "./repo.js"

export const workerCount = (): number => {
  const env = Number(process.env.STRATA_WORKERS)
  return Number.isInteger(env) && env > 0 ? env : Math.max(1, availableParallelism())
}

/** Below this many objects, worker start-up costs more than it saves (STRATA_POOL_MIN_FILES overrides, for tests). */
export const poolMinFiles = (): number => {
  const env = Number(process.env.STRATA_POOL_MIN_FILES)
  return Number.isInteger(env) && env > 0 ? env : 2000
}

const BATCH = 48

type Init = { mode: RepoMode; objectsDir: string; stagingDir: string }

/** Rebuilds the worker's error: a RepoError stays one (same op/reason/detail), fs errors get the path. */
const workerError = (m: Extract<FromWorker, { type: "error" }>, op: string): RepoError => {
  if (m.tag === "RepoError") return new RepoError({ op: m.op!, reason: m.reason as RepoError["reason"], detail: m.detail! })
  return fsError(op, m.path ?? "", Object.assign(new Error(m.message), { code: m.code }))
}

/** Feeds `items` to `workers` threads in batches; `onResult` receives each batch's reply. */
const runPool = async <T>(
  init: Init,
  items: ReadonlyArray<T>,
  workers: number,
  message: (id: number, batch: ReadonlyArray<T>) => ToWorker,
  onResult: (m: Exclude<FromWorker, { type: "error" }>) => void,
  op: string,
): Promise<void> => {
  const pool = Array.from({ length: Math.max(1, Math.min(workers, Math.ceil(items.length / BATCH))) }, () =>
    new Worker(new URL("./import-worker.js", import.meta.url)))
  let next = 0
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.postMessage({ type: "init", ...init } satisfies ToWorker)
            const send = (): void => {
              if (next >= items.length) return resolve()
              const start = next
              next = Math.min(next + BATCH, items.length)
              w.postMessage(message(start, items.slice(start, next)))
            }
            w.on("message", (m: FromWorker) => {
              if (m.type === "error") return reject(workerError(m, op))
              onResult(m)
              send()
            })
            w.on("error", reject)
            send()
          }),
      ),
    )
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
}

export const runImportPool = async (init: Init, jobs: ReadonlyArray<ImportJob>, workers: number): Promise<ImportResult[]> => {
  const results: ImportResult[] = new Array(jobs.length)
  await runPool(init, jobs, workers, (id, batch) => ({ type: "import", id, jobs: batch }), (m) => {
    if (m.type === "done") m.results.forEach((r, i) => (results[m.id + i] = r))
  }, "commit: import file")
  return results
}

/** Verifies content objects on the pool; returns the set of those that are empty regular files. */
export const runVerifyPool = async (repo: Repo, csums: ReadonlyArray<string>, workers: number): Promise<Set<string>> => {
  const empty = new Set<string>()
  const init = { mode: repo.mode, objectsDir: `${repo.path}/objects`, stagingDir: "" }
  await runPool(init, csums, workers, (id, batch) => ({ type: "verify", id, repoPath: repo.path, csums: batch }), (m) => {
    if (m.type === "verified") m.empty.forEach((e, i) => e && empty.add(csums[m.id + i]!))
  }, "checkout: verify")
  return empty
}
