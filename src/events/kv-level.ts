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
/**
 * How many bytes one `nextv` may gather. classic-level's default (16 KiB) stopped a batch of
 * machine-step events (~2.4 KiB each, snapshot included) after ~7 of them: a 100k-event replay
 * made ~14k round trips to the LevelDB thread. Much larger batches (4 MiB) kept ~2000 decoded
 * events alive across young-generation GCs, which then cost more than the round trips saved;
 * 1 MiB (~400 step events, 1000 small ones) measured best for CPU and wall time.
 */
const CHUNK_BYTES = 1024 * 1024

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
  const buf = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  return {
    get: async (key) => {
      try {
        return (await db.get(buf(key))) ?? undefined
      } catch (e) {
        throw storageError("read", path, e)
      }
    },
    batch: async (ops, { sync }) => {
      // A chained batch is one LevelDB WriteBatch like the array form, but builds it natively
      // op by op: about 3x faster for 1000-event appends here.
      try {
        const batch = db.batch()
        for (const o of ops) {
          if (o.type === "put") batch.put(buf(o.key), buf(o.value))
          else batch.del(buf(o.key))
        }
        await batch.write({ sync })
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
          highWaterMarkBytes: CHUNK_BYTES,
        })
        // Ask for the next chunk before handing out this one, so LevelDB reads on its thread
        // while the consumer decodes (replay was a third idle without it).
        const next = (): Promise<Array<[Buffer, Buffer]>> => {
          const p = it.nextv(CHUNK).catch((e: unknown) => Promise.reject(storageError("read", path, e)))
          // Mark it handled now: a failure while the consumer is busy is rethrown at the await.
          p.catch(() => undefined)
          return p
        }
        let pending = next()
        try {
          for (;;) {
            const chunk = await pending
            if (chunk.length === 0) return
            pending = next()
            yield chunk
          }
        } finally {
          await pending.catch(() => undefined)
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
