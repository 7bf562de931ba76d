/** `strata rollback` (rpm-ostree rollback): make the rollback deployment the default again. */
import type { Command } from "./command.js"
import { machines, onWait, runDirOf, shortName, sysrootOf, sysrootOptions } from "./sysroot-args.js"

export const rollback: Command = {
  path: ["rollback"],
  summary: "Make the previous (rollback) deployment the default; a staged deployment is discarded",
  usage: "[--sysroot PATH] [--run-dir DIR]",
  options: sysrootOptions,
  run: async (args) => {
    const runDir = await runDirOf(args)
    const m = await machines()
    const r = await m.runSysrootTransaction({ sysroot: sysrootOf(args), runDir, definition: m.rollbackTransaction, plan: m.planRollback({ ...(runDir ? { runDir } : {}) }), onWait })
    return `Moving '${shortName(r.output.deployments[0]!)}' to be first deployment\nRun "systemctl reboot" to start a reboot`
  },
}
