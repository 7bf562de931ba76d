/** `strata admin undeploy INDEX` (ostree admin undeploy): drop a deployment from the boot list, then clean up. */
import type { Command } from "../command.js"
import { indexArg, machines, onWait, runDirOf, sysrootOf, sysrootOptions } from "../sysroot-args.js"

export const undeploy: Command = {
  path: ["admin", "undeploy"],
  summary: "Delete the deployment at INDEX (as `admin status` lists them; the staged one is 0)",
  usage: "INDEX [--sysroot PATH] [--run-dir DIR]",
  options: sysrootOptions,
  run: async (args) => {
    const index = indexArg(args, 0, "undeploy")
    const runDir = await runDirOf(args)
    const m = await machines()
    const r = await m.runSysrootTransaction({ sysroot: sysrootOf(args), runDir, definition: m.undeployTransaction, plan: m.planUndeploy({ index, ...(runDir ? { runDir } : {}) }), onWait })
    return `Deleted deployment at index ${index}; ${r.output.deployments.length} remain${r.output.deployments.length === 1 ? "s" : ""}`
  },
}
