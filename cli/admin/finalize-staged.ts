/**
 * `strata admin finalize-staged` (ostree admin finalize-staged, run at shutdown by a unit like
 * ostree-finalize-staged.service): merge /etc into the staged deployment and make it the default.
 * Nothing staged, or finalization locked: says so and succeeds, as ostree does. A failure leaves
 * its message in /boot/ostree/finalize-failure.stamp and the deployment staged.
 */
import type { Command } from "../command.js"
import { machines, onWait, runDirOf, sysrootOf, sysrootOptions } from "../sysroot-args.js"

export const finalizeStaged: Command = {
  path: ["admin", "finalize-staged"],
  summary: "Finalize the staged deployment: merge /etc into it and make it the default (run at shutdown)",
  usage: "[--sysroot PATH] [--run-dir DIR]",
  options: sysrootOptions,
  run: async (args) => {
    const sysroot = sysrootOf(args)
    const runDir = await runDirOf(args)
    const m = await machines()
    const skip = await m.finalizeSkipReason(sysroot, runDir)
    if (skip) return skip
    try {
      const r = await m.runSysrootTransaction({ sysroot, runDir, definition: m.finalizeStagedTransaction, plan: m.planFinalize({ ...(runDir ? { runDir } : {}) }), onWait })
      return `Finalized ${r.output.deployment}`
    } catch (e) {
      if ((e as { reason?: string }).reason !== "Locked") await m.recordFinalizeFailure(sysroot, e)
      throw e
    }
  },
}
