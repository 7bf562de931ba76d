/**
 * A small pool of worker threads for CPU-bound jobs (one request → one reply), so the main
 * thread only schedules I/O and moves buffers. Jobs go to the worker with the fewest pending;
 * callers pass ArrayBuffers to transfer (moved, not copied). Workers start on first use and are
 * unref'd while idle, so a forgotten `close` never keeps the process alive.
 *
 * The worker module answers each `{ id, job }` message with `{ id, result }`; a thrown error
 * comes back as `{ id, error }` (see `serveJobs`). A crashed worker fails its pending jobs and is
 * replaced on the next job.
 */
import { availableParallelism } from "node:os"
import { parentPort, Worker, type Transferable } from "node:worker_threads"

export interface WorkerPool<Job, Result> {
  readonly run: (job: Job, transfer?: ReadonlyArray<Transferable>) => Promise<Result>
  readonly close: () => Promise<void>
}

interface WorkerFailure { readonly message: string; readonly code?: string; readonly syscall?: string }
type Reply<R> = { readonly id: number; readonly result?: R; readonly error?: WorkerFailure }

interface Slot {
  worker: Worker
  readonly pending: Map<number, { resolve: (r: unknown) => void; reject: (e: unknown) => void }>
}

/** Worker threads worth running for CPU-bound work: one per core (STRATA_WORKERS overrides). */
export const cpuWorkers = (): number => {
  const env = Number(process.env.STRATA_WORKERS)
  return Number.isInteger(env) && env > 0 ? env : Math.max(1, availableParallelism())
}

export const makeWorkerPool = <Job, Result>(url: URL, size = cpuWorkers()): WorkerPool<Job, Result> => {
  const slots: Array<Slot | undefined> = new Array(Math.max(1, size)).fill(undefined)
  let nextId = 0
  let closed = false

  const start = (i: number): Slot => {
    const slot: Slot = { worker: new Worker(url), pending: new Map() }
    const failAll = (e: unknown): void => {
      for (const p of slot.pending.values()) p.reject(e)
      slot.pending.clear()
      if (slots[i] === slot) slots[i] = undefined
    }
    slot.worker.on("message", (m: Reply<Result>) => {
      const p = slot.pending.get(m.id)
      if (!p) return
      slot.pending.delete(m.id)
      if (slot.pending.size === 0) slot.worker.unref()
      // A thrown fs error keeps its code and syscall, so callers classify it as they would in-process.
      if (m.error) p.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code, syscall: m.error.syscall } : {}))
      else p.resolve(m.result)
    })
    slot.worker.on("error", failAll)
    slot.worker.on("exit", (code) => failAll(new Error(`worker thread exited (code ${code})`)))
    slot.worker.unref()
    return slot
  }

  return {
    run: (job, transfer = []) => {
      if (closed) return Promise.reject(new Error("worker pool is closed"))
      let best = 0
      for (let i = 1; i < slots.length; i++) if ((slots[i]?.pending.size ?? 0) < (slots[best]?.pending.size ?? 0)) best = i
      const slot = (slots[best] ??= start(best))
      const id = nextId++
      return new Promise<Result>((resolve, reject) => {
        if (slot.pending.size === 0) slot.worker.ref()
        slot.pending.set(id, { resolve: resolve as (r: unknown) => void, reject })
        slot.worker.postMessage({ id, job }, transfer as Transferable[])
      })
    },
    close: async () => {
      closed = true
      await Promise.all(slots.map((s) => s?.worker.terminate()))
    },
  }
}

/** The worker side: answers every job with `handle`'s result (its transfer list, if any). */
export const serveJobs = <Job, Result>(handle: (job: Job) => { result: Result; transfer?: Transferable[] }): void => {
  parentPort!.on("message", ({ id, job }: { id: number; job: Job }) => {
    let reply: { result: Result; transfer?: Transferable[] }
    try {
      reply = handle(job)
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      const error: WorkerFailure = { message: String(err?.message ?? err), ...(err?.code ? { code: err.code, syscall: err.syscall } : {}) }
      parentPort!.postMessage({ id, error })
      return
    }
    parentPort!.postMessage({ id, result: reply.result }, reply.transfer ?? [])
  })
}
