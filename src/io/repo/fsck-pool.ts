/**
 * fsck's content verification: inline for small repos, else spread over one worker thread per
 * core (each verifies synchronously, like ostree does on its one thread). Every object gets a
 * verdict; a bad one is a problem to report, never a reason to stop.
 */
import { Worker } from "node:worker_threads"
import type { Checksum } from "../../formats/ostree/index.js"
import { verifyContent } from "./content-verify.js"
import { RepoError } from "./error.js"
import { poolMinFiles, workerCount } from "./import-pool.js"
import type { Repo, RepoMode } from "./repo.js"

export interface ContentProblem {
  readonly csum: Checksum
  readonly kind: "missing" | "corrupt"
  readonly detail: string
}

export type ToFsckWorker =
  | { readonly type: "init"; readonly path: string; readonly mode: RepoMode }
  | { readonly type: "batch"; readonly id: number; readonly csums: ReadonlyArray<Checksum> }

export interface FromFsckWorker {
  readonly id: number
  readonly problems: ReadonlyArray<ContentProblem>
}

/** What went wrong with one object, as fsck reports it. */
export const contentProblem = (csum: Checksum, e: unknown): ContentProblem => {
  if (e instanceof RepoError && e.reason === "NotFound") return { csum, kind: "missing", detail: "missing" }
  const msg = e instanceof RepoError ? e.detail.replace(/^object \S+ is corrupted: /, "") : (e as Error).message
  return { csum, kind: "corrupt", detail: `corrupted: ${msg}` }
}

const verifyInline = async (repo: Repo, csums: ReadonlyArray<Checksum>, out: ContentProblem[]): Promise<void> => {
  for (const c of csums) {
    try {
      await verifyContent(repo, c)
    } catch (e) {
      out.push(contentProblem(c, e))
    }
  }
}

const BATCH = 64

const verifyOnPool = async (repo: Repo, csums: ReadonlyArray<Checksum>, workers: number, out: ContentProblem[]): Promise<void> => {
  const pool = Array.from({ length: Math.min(workers, Math.ceil(csums.length / BATCH)) }, () => new Worker(new URL("./fsck-worker.js", import.meta.url)))
  let next = 0
  try {
    await Promise.all(pool.map((w) => new Promise<void>((resolve, reject) => {
      w.postMessage({ type: "init", path: repo.path, mode: repo.mode } satisfies ToFsckWorker)
      const send = (): void => {
        if (next >= csums.length) return resolve()
        const id = next
        next = Math.min(next + BATCH, csums.length)
        w.postMessage({ type: "batch", id, csums: csums.slice(id, next) } satisfies ToFsckWorker)
      }
      w.on("message", (m: FromFsckWorker) => {
        out.push(...m.problems)
        send()
      })
      w.on("error", reject)
      send()
    })))
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
}

/** Verifies every content object in `csums`; returns the problems found, sorted by checksum. */
export const verifyContents = async (repo: Repo, csums: ReadonlyArray<Checksum>): Promise<ContentProblem[]> => {
  const out: ContentProblem[] = []
  const workers = workerCount()
  if (workers < 2 || csums.length < poolMinFiles()) await verifyInline(repo, csums, out)
  else await verifyOnPool(repo, csums, workers, out)
  return out.sort((a, b) => (a.csum < b.csum ? -1 : a.csum > b.csum ? 1 : 0))
}
