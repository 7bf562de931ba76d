/**
 * How the runtime opens a sysroot's event log: with the crash-point hook, and willing to wait a
 * while for a reader (`strata log`, `history`, a `--follow` poll) that holds LevelDB's LOCK for a
 * moment. The runner keeps the log open for the whole transaction: reopening LevelDB costs
 * ~25 ms per append here, against ~0.3 ms for an append to an open log.
 */
import { openEventLog } from "../../events/open.js"
import { eventLogPath } from "../../events/path.js"
import type { Registry } from "../../events/registry.js"
import type { EventStore } from "../../events/store.js"
import { crashOnAppend } from "./crash.js"

export const openSysrootLog = (sysroot: string, opts: { readonly registry?: Registry; readonly create?: boolean } = {}): Promise<EventStore> =>
  openEventLog(eventLogPath(sysroot), {
    create: opts.create ?? true,
    lockWaitMs: 10_000,
    onAppend: crashOnAppend,
    ...(opts.registry ? { registry: opts.registry } : {}),
  })
