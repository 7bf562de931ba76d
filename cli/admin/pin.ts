/** `strata admin pin [--unpin] INDEX…` (ostree admin pin): keep deployments from automatic removal. */
import type { Command } from "../command.js"
import { flag } from "../command.js"
import { indexArg, machines, onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "../sysroot-args.js"

export const pin: Command = {
  path: ["admin", "pin"],
  summary: "Pin (or --unpin) deployments, so cleanup and new deployments never remove them",
  usage: "[--unpin] INDEX… [--sysroot PATH] [--run-dir DIR]",
  options: { ...sysrootOptions, unpin: { type: "boolean", short: "u" } },
  run: async (args) => {
    if (args.positionals.length === 0) throw usage("pin", "missing INDEX")
    const indices = args.positionals.map((_, i) => indexArg(args, i, "pin"))
    const unpin = flag(args.values["unpin"])
    const runDir = await runDirOf(args)
    const m = await machines()
    const r = await m.runSysrootTransaction({ sysroot: sysrootOf(args), runDir, definition: m.pinTransaction, plan: m.planPin({ indices, unpin, ...(runDir ? { runDir } : {}) }), onWait })
    const word = unpin ? "unpinned" : "pinned"
    return indices.map((i) => `Deployment ${i} is ${r.output.already.includes(i) ? "already" : "now"} ${word}`).join("\n")
  },
}
