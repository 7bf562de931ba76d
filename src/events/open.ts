/**
 * The promise face of the event log, for code that is not Effect-based (the CLI, tests,
 * benchmarks): open a log and get the store's methods as they are.
 */
import { openLevelKV, type LevelKVOptions } from "./kv-level.js"
import { makeMemoryData, openMemoryKV, type MemoryData } from "./kv-memory.js"
import type { KV } from "./kv.js"
import { openStore, type EventStore, type StoreOptions } from "./store.js"

export type EventLogHandle = EventStore

export interface OpenEventLogOptions extends StoreOptions, LevelKVOptions {}

const withKV = async (kv: KV, opts: StoreOptions): Promise<EventStore> => {
  try {
    return await openStore(kv, opts)
  } catch (e) {
    await kv.close().catch(() => undefined)
    throw e
  }
}

/**
 * Opens (creating unless `create: false`) the LevelDB log at `path`. Waits up to `lockWaitMs`
 * (default 2 s) for another process's short hold on it, e.g. a `strata log --follow` poll.
 */
export const openEventLog = async (path: string, opts: OpenEventLogOptions = {}): Promise<EventLogHandle> =>
  withKV(await openLevelKV(path, { create: opts.create ?? true, lockWaitMs: opts.lockWaitMs ?? 2000 }), { ...opts, path })

export interface MemoryEventLogOptions extends StoreOptions {
  /** Reuse the data of a closed memory log, as reopening a directory would. */
  readonly data?: MemoryData
}

export const openMemoryEventLog = (opts: MemoryEventLogOptions = {}): Promise<EventLogHandle> =>
  withKV(openMemoryKV(opts.data ?? makeMemoryData()), opts)

/** Opens, verifies and closes: what `strata log verify` runs. */
export const verifyEventLog = async (path: string, opts: OpenEventLogOptions = {}) => {
  const log = await openEventLog(path, { create: false, ...opts })
  try {
    return await log.verify()
  } finally {
    await log.close()
  }
}
