/**
 * Runs import jobs on a pool of worker threads (pnpm's pattern: workers with sync fs, typed
 * messages, one writer of the index — here the main thread owns the transaction's bookkeeping).
 * Size: one worker per core (STRATA_WORKERS overrides); batches keep messages few.
 */
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { fsError } from "./error.js"
import type { FromWorker, ImportJob, ImportResult, ToWorker } from "./import-types.js"
import type { RepoMode } from "./repo.js"

export const workerCount = (): number => {
  const env = Number(process.env.STRATA_WORKERS)
  return Number.isInteger(env) && env > 0 ? env : Math.max(1, availableParallelism())
}

const BATCH = 48

export const runImportPool = async (
  init: { mode: RepoMode; objectsDir: string; stagingDir: string },
  jobs: ReadonlyArray<ImportJob>,
  workers: number,
): Promise<ImportResult[]> => {
  const results: ImportResult[] = new Array(jobs.length)
  const pool = Array.from({ length: Math.min(workers, Math.ceil(jobs.length / BATCH)) }, () =>
    new Worker(new URL("./import-worker.js", import.meta.url)))
  let next = 0
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.postMessage({ type: "init", ...init } satisfies ToWorker)
            let start = 0
            const send = (): void => {
              if (next >= jobs.length) return resolve()
              start = next
              next = Math.min(next + BATCH, jobs.length)
              w.postMessage({ type: "import", id: start, jobs: jobs.slice(start, next) } satisfies ToWorker)
            }
            w.on("message", (m: FromWorker) => {
              if (m.type === "error") {
                const e = Object.assign(new Error(m.message), { code: m.code })
                return reject(fsError("commit: import file", m.path ?? "", e))
              }
              m.results.forEach((r, i) => (results[m.id + i] = r))
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
  return results
}
