/**
 * Following a log from another process. LevelDB lets one process open a database at a time, so
 * a follower must not keep the log open (it would lock out every transaction): it polls —
 * open, read what is new (at most a chunk), close, hand the events out, sleep — and treats a
 * held lock as "try again later". Within one process use `subscribe`, which needs no polling.
 */
import { setTimeout as sleep } from "node:timers/promises"
import type { EventEnvelope } from "./envelope.js"
import { EventLogError } from "./error.js"
import { openEventLog } from "./open.js"
import type { Registry } from "./registry.js"

export interface FollowOptions {
  readonly fromPos?: number
  readonly pollMs?: number
  readonly signal?: AbortSignal
  readonly registry?: Registry
}

const CHUNK = 1000

export async function* followEventLog(path: string, opts: FollowOptions = {}): AsyncGenerator<EventEnvelope> {
  let next = Math.max(opts.fromPos ?? 1, 1)
  while (!opts.signal?.aborted) {
    const batch: EventEnvelope[] = []
    try {
      const log = await openEventLog(path, { create: false, lockWaitMs: 0, ...(opts.registry ? { registry: opts.registry } : {}) })
      try {
        for await (const e of log.readRange({ from: next })) {
          batch.push(e)
          if (batch.length >= CHUNK) break
        }
      } finally {
        await log.close()
      }
    } catch (e) {
      // A writer holds the log: it lets go when its command ends, so look again next round.
      if (!(e instanceof EventLogError && e.reason === "Locked")) throw e
    }
    for (const e of batch) {
      if (opts.signal?.aborted) return
      yield e
      next = e.pos + 1
    }
    if (batch.length < CHUNK) {
      try {
        await sleep(opts.pollMs ?? 250, undefined, opts.signal ? { signal: opts.signal } : {})
      } catch {
        return // aborted
      }
    }
  }
}
