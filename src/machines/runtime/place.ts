/**
 * Where a transaction runs: what it locks and where its event log lives. A sysroot (the
 * default: `<sysroot>/ostree/lock`, `<sysroot>/ostree/strata/log`) — or, for repo-only work such
 * as compose, a repository (its own lock and log inside the repo). The place's `path` is what
 * steps get as `StepContext.sysroot`.
 */
import type { EventStore } from "../../events/store.js"
import type { Registry } from "../../events/registry.js"
import { lockSysroot, type LockOptions, type SysrootLock } from "./lock.js"
import { openSysrootLog } from "./log.js"

export interface TransactionPlace {
  readonly path: string
  readonly lock: (opts: LockOptions) => Promise<SysrootLock>
  readonly openLog: (opts: { readonly registry?: Registry; readonly create?: boolean }) => Promise<EventStore>
}

export const sysrootPlace = (sysroot: string): TransactionPlace => ({
  path: sysroot,
  lock: (opts) => lockSysroot(sysroot, opts),
  openLog: (opts) => openSysrootLog(sysroot, opts),
})
