/**
 * The LevelDB backend of the log's KV (via `level`, i.e. classic-level on Node). LevelDB holds
 * an exclusive LOCK file, so only one process has the log open at a time; an opener may wait a
 * little for a short-lived holder (another strata command, a `log --follow` poll) to finish.
 */
import { existsSync, mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { Level } from "level"
import { EventLogError, storageError } from "./error.js"
import type { KV, KVRange } from "./kv.js"

export interface LevelKVOptions {
  /** Create the database (and its parent directories) if missing. Readers pass false. */
  readonly create?: boolean
  /** How long to retry while another process holds the LOCK (ms); 0 fails at once. */
  readonly lockWaitMs?: number
}

const CHUNK = 1000

export const openLevelKV = async (path: string, opts: LevelKVOptions = {}): Promise<KV> => {
  const create = opts.create ?? true
  if (!create && !existsSync(join(path, "CURRENT"))) {
    throw new EventLogError({ op: "open event log", reason: "NotFound", detail: "no event log here", path })
  }
  if (create) mkdirSync(dirname(path), { recursive: true })
  const deadline = Date.now() + (opts.lockWaitMs ?? 0)
  let db: Level<Buffer, Buffer>
  for (;;) {
    db = new Level<Buffer, Buffer>(path, { keyEncoding: "buffer", valueEncoding: "buffer", createIfMissing: create })
    try {
      await db.open()
      break
    } catch (e) {
      const err = storageError("open event log", path, e)
      if (err.reason !== "Locked" || Date.now() >= deadline) throw err
      await sleep(25)
    }
  }
  const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  return {
    get: async (key) => {
      try {
        return (await db.get(buf(key))) ?? undefined
      } catch (e) {
        throw storageError("read", path, e)
      }
    },
    batch: async (ops, { sync }) => {
      try {
        await db.batch(
          ops.map((o) => (o.type === "put" ? { type: "put" as const, key: buf(o.key), value: buf(o.value) } : { type: "del" as const, key: buf(o.key) })),
          { sync },
        )
      } catch (e) {
        throw storageError("write batch", path, e)
      }
    },
    entries: (range: KVRange) => ({
      [Symbol.asyncIterator]: async function* () {
        const it = db.iterator({
          ...(range.gte ? { gte: buf(range.gte) } : {}),
          ...(range.lt ? { lt: buf(range.lt) } : {}),
          reverse: range.reverse ?? false,
          limit: range.limit ?? -1,
        })
        try {
          for (;;) {
            let chunk: Array<[Buffer, Buffer]>
            try {
              chunk = await it.nextv(CHUNK)
            } catch (e) {
              throw storageError("read", path, e)
            }
            if (chunk.length === 0) return
            yield chunk
          }
        } finally {
          await it.close()
        }
      },
    }),
    close: async () => {
      try {
        await db.close()
      } catch (e) {
        throw storageError("close event log", path, e)
      }
    },
  }
}
