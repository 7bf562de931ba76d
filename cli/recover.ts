/**
 * `strata recover [--sysroot PATH] [--json]`: finish every transaction a dead runner left in
 * flight (undo before its point of no return, complete after it, resume where its definition
 * says). Run at boot or by hand; every transaction command also does it first.
 *
 * Lock contention: when another transaction holds the sysroot lock, a "waiting for …" line goes
 * to stderr as it happens (the one thing these handlers print themselves), then after
 * STRATA_LOCK_TIMEOUT seconds (default 60) the command fails with exit code 6 (Locked).
 */
import type { Command } from "./command.js"
import { flag, str } from "./command.js"

const recover: Command = {
  path: ["recover"],
  summary: "Finish interrupted transactions: undo before their point of no return, complete after it",
  usage: "[--sysroot PATH] [--json]",
  options: { sysroot: { type: "string" }, json: { type: "boolean" } },
  run: async (args) => {
    const sysroot = str(args.values["sysroot"]) ?? "/"
    // The machines (xstate, Effect, every io module they use) load only for this command.
    const { recover, transactionDefinitions } = await import("../src/machines/index.js")
    const reports = await recover({ sysroot, definitions: transactionDefinitions, onWait: (m) => void process.stderr.write(`strata: ${m}\n`) })
    if (flag(args.values["json"])) return { json: reports }
    if (reports.length === 0) return "nothing to recover"
    return reports
      .map((r) => {
        const how = r.action === "aborted" ? `aborted${r.probed ? " (the disk showed the old state)" : ""}` : r.action === "completed" ? `completed${r.probed ? " (the disk showed the new state)" : ""}` : r.action
        const undone = r.undone?.length ? `; undone: ${r.undone.join(", ")}` : ""
        return `${r.txn} ${r.kind}: ${how}${undone}${r.error ? ` (${r.error})` : ""}`
      })
      .join("\n")
  },
}

export const recoverCommands: ReadonlyArray<Command> = [recover]
