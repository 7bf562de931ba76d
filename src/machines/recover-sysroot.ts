/**
 * `strata recover` on a real sysroot: finish every interrupted transaction (runtime/recover.ts),
 * then reconcile the log with the disk (reconcile.ts) — which also stages again a staged
 * deployment whose /run state file a power cut lost, so it is finalized at the next shutdown.
 * Meant to run at boot, before anything else touches the sysroot.
 */
import { transactionDefinitions } from "./definitions.js"
import { reconcileLog, type ReconcileResult } from "./reconcile.js"
import { messageOf } from "./runtime/error.js"
import { lockSysroot } from "./runtime/lock.js"
import { openSysrootLog } from "./runtime/log.js"
import { recover, type RecoveryReport } from "./runtime/recover.js"

export interface SysrootRecovery {
  readonly recovered: ReadonlyArray<RecoveryReport>
  readonly reconciled?: ReconcileResult
  /** Why the disk could not be compared (e.g. not an ostree sysroot); recovery itself succeeded. */
  readonly reconcileError?: string
}

export const recoverSysroot = async (o: { readonly sysroot: string; readonly runDir?: string; readonly lockTimeoutMs?: number; readonly onWait?: (m: string) => void }): Promise<SysrootRecovery> => {
  const lockOpts = { ...(o.lockTimeoutMs !== undefined ? { lockTimeoutMs: o.lockTimeoutMs } : {}), ...(o.onWait ? { onWait: o.onWait } : {}) }
  const recovered = await recover({ sysroot: o.sysroot, definitions: transactionDefinitions, ...lockOpts })
  const lock = await lockSysroot(o.sysroot, {
    op: "recover",
    holder: { kind: "recover", argv: process.argv.slice(1) },
    ...(o.lockTimeoutMs !== undefined ? { timeoutMs: o.lockTimeoutMs } : {}),
    ...(o.onWait ? { onWait: o.onWait } : {}),
  })
  try {
    const log = await openSysrootLog(o.sysroot)
    try {
      return { recovered, reconciled: await reconcileLog(log, o.sysroot, o.runDir) }
    } catch (e) {
      if ((e as { _tag?: string })._tag !== "SysrootError") throw e
      return { recovered, reconcileError: messageOf(e) }
    } finally {
      await log.close()
    }
  } finally {
    await lock.release()
  }
}
