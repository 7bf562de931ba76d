/** `strata admin cleanup` (ostree admin cleanup): remove what nothing boots, prune the repo. */
import type { Command } from "../command.js"
import { machines, onWait, runDirOf, sysrootOf, sysrootOptions } from "../sysroot-args.js"

export const adminCleanup: Command = {
  path: ["admin", "cleanup"],
  summary: "Delete deployments and boot files nothing boots, stale refs, and unreachable objects",
  usage: "[--sysroot PATH] [--run-dir DIR]",
  options: sysrootOptions,
  run: async (args) => {
    const runDir = await runDirOf(args)
    const m = await machines()
    await m.runSysrootTransaction({ sysroot: sysrootOf(args), runDir, definition: m.cleanupTransaction, input: { prune: true, ...(runDir ? { runDir } : {}) }, onWait })
  },
}
