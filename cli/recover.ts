/**
 * `strata recover [--sysroot PATH] [--run-dir DIR] [--json]`: finish every transaction a dead
 * runner left in flight (undo before its point of no return, complete after it, resume where its
 * definition says), then reconcile the log with the disk — adopting a sysroot strata did not
 * make, recording drift, and staging again a staged deployment whose /run state a power cut lost.
 * Run at boot or by hand; every transaction command also recovers first.
 *
 * Lock contention: when another transaction holds the sysroot lock, a "waiting for …" line goes
 * to stderr as it happens (the one thing these handlers print themselves), then after
 * STRATA_LOCK_TIMEOUT seconds (default 60) the command fails with exit code 6 (Locked).
 */
import type { Command } from "./command.js"
import { flag, str } from "./command.js"
import { onWait, runDirOf, sysrootOf, sysrootOptions } from "./sysroot-args.js"

const recover: Command = {
  path: ["recover"],
  summary: "Finish interrupted transactions (undo before their point of no return, complete after it), then reconcile with the disk",
  usage: "[--sysroot PATH] [--run-dir DIR] [--json] | --repo REPO (an interrupted compose)",
  options: { ...sysrootOptions, json: { type: "boolean" }, repo: { type: "string" } },
  run: async (args) => {
    const repo = str(args.values["repo"])
    if (repo !== undefined) {
      const { recoverCompose } = await import("../src/machines/compose-tree.js")
      const rs = await recoverCompose(repo, { onWait })
      if (flag(args.values["json"])) return { json: rs }
      return rs.length ? rs.map((x) => `${x.txn} ${x.kind}: ${x.action}${x.undone?.length ? `; undone: ${x.undone.length} item(s)` : ""}${x.error ? ` (${x.error})` : ""}`).join("\n") : "nothing to recover"
    }
    // The machines (xstate, Effect, every io module they use) load only for this command.
    const { recoverSysroot } = await import("../src/machines/recover-sysroot.js")
    const r = await recoverSysroot({ sysroot: sysrootOf(args), runDir: await runDirOf(args), onWait })
    if (r.reconcileError) process.stderr.write(`strata: warning: could not compare the log with the disk: ${r.reconcileError}\n`)
    if (flag(args.values["json"])) return { json: r.recovered }
    const lines = r.recovered.map((x) => {
      const how = x.action === "aborted" ? `aborted${x.probed ? " (the disk showed the old state)" : ""}` : x.action === "completed" ? `completed${x.probed ? " (the disk showed the new state)" : ""}` : x.action
      const undone = x.undone?.length ? `; undone: ${x.undone.join(", ")}` : ""
      return `${x.txn} ${x.kind}: ${how}${undone}${x.error ? ` (${x.error})` : ""}`
    })
    const c = r.reconciled
    if (c?.adopted) lines.push("adopted the sysroot into the event log")
    for (const d of c?.drift ?? []) lines.push(`drift recorded: ${d.kind}: ${d.detail}`)
    for (const id of c?.restaged ?? []) lines.push(`re-staged ${id}: its /run state file was lost; it will be finalized at the next shutdown`)
    return lines.length ? lines.join("\n") : "nothing to recover"
  },
}

export const recoverCommands: ReadonlyArray<Command> = [recover]
