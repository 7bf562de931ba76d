/**
 * `strata cleanup [-b] [-p] [-r]` (rpm-ostree cleanup): -p removes the pending (staged, or not
 * yet booted) deployment, -r the rollback deployment, -b cleans up and prunes the repo. Each is
 * its own transaction, in that order.
 */
import type { Command } from "./command.js"
import { flag } from "./command.js"
import { machines, onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "./sysroot-args.js"

export const cleanup: Command = {
  path: ["cleanup"],
  summary: "Clear the pending (-p) or rollback (-r) deployment, or temporary data and unreachable objects (-b)",
  usage: "[-b|--base] [-p|--pending] [-r|--rollback] [--sysroot PATH] [--run-dir DIR]",
  options: { ...sysrootOptions, base: { type: "boolean", short: "b" }, pending: { type: "boolean", short: "p" }, rollback: { type: "boolean", short: "r" } },
  run: async (args) => {
    const which = (["pending", "rollback"] as const).filter((w) => flag(args.values[w]))
    const base = flag(args.values["base"])
    if (!which.length && !base) throw usage("cleanup", "at least one of -b, -p, -r must be given")
    const sysroot = sysrootOf(args)
    const runDir = await runDirOf(args)
    const m = await machines()
    const out: string[] = []
    for (const w of which) {
      const state = await m.readDiskSnapshot(sysroot, runDir)
      const found = m.pendingAndRollback(state.deployments, state.booted)[w]
      if (found === undefined) {
        out.push(`No ${w} deployment`)
        continue
      }
      await m.runSysrootTransaction({ sysroot, runDir, definition: m.undeployTransaction, plan: m.planUndeployWhich({ which: w, ...(runDir ? { runDir } : {}) }), onWait })
      out.push(`Removed the ${w} deployment`)
    }
    if (base) {
      await m.runSysrootTransaction({ sysroot, runDir, definition: m.cleanupTransaction, input: { prune: true, ...(runDir ? { runDir } : {}) }, onWait })
      out.push("Cleaned up and pruned the repository")
    }
    return out.join("\n")
  },
}
