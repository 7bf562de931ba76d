/**
 * How strata runs a transaction on a real sysroot (the CLI's one entry): runTransaction with
 * every kind strata knows for the pre-start recovery, and adoption/reconciliation of the disk
 * (reconcile.ts) under the lock before the plan reads it — so a sysroot made or changed by
 * `ostree admin` is recorded before strata decides anything.
 */
import type { AnyStateMachine } from "xstate"
import { reconcileLog } from "./reconcile.js"
import { runTransaction, type RunOptions, type RunResult } from "./runtime/run.js"

export interface SysrootRunOptions<M extends AnyStateMachine> extends Omit<RunOptions<M>, "definitions" | "prepare"> {
  /** The booted system's run directory (resolveRunDir), for the staged deployment. */
  readonly runDir?: string
}

export const runSysrootTransaction = <M extends AnyStateMachine>(o: SysrootRunOptions<M>): Promise<RunResult<M>> => {
  const { runDir, ...rest } = o
  return runTransaction({
    ...rest,
    // Loaded only if an interrupted transaction must be finished first (see Definitions).
    definitions: async () => (await import("./definitions.js")).transactionDefinitions,
    prepare: async ({ log, sysroot }) => void (await reconcileLog(log, sysroot, runDir)),
  })
}
