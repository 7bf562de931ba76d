/**
 * `strata history [--json] [--at POS|TIME]`: the transactions (who, command line, when,
 * outcome, what changed) and boots in the event log; with `--at`, only what had happened by that
 * log position or ISO time, plus the deployments as they were then.
 * `strata admin record-boot`: record this boot (for a boot-time unit).
 * Thin wrappers over src/projections (pure folds) and src/machines/record-boot.ts.
 */
import type { Command, Parsed } from "./command.js"
import { flag, str } from "./command.js"
import { TransactionError } from "../src/machines/runtime/error.js"
import type { DeploymentsState, ListedDeployment } from "../src/projections/deployments.js"
import type { HistoryEntry, HistoryState } from "../src/projections/history.js"

const sysrootOf = (args: Parsed): string => str(args.values["sysroot"]) ?? "/"

// Projections need the event schemas and LevelDB: loaded only when a history command runs.
const modules = async () => {
  const [open, path, fold, at, history, deployments] = await Promise.all([
    import("../src/events/open.js"),
    import("../src/events/path.js"),
    import("../src/projections/fold.js"),
    import("../src/projections/at.js"),
    import("../src/projections/history.js"),
    import("../src/projections/deployments.js"),
  ])
  return { ...open, ...path, ...fold, ...at, ...history, ...deployments }
}

const renderEntry = (e: HistoryEntry): string => {
  if (e.entry === "boot") return `Boot ${e.at}  ${e.deployment ?? "unknown deployment"}${e.kernel ? `  kernel ${e.kernel}` : ""}  (boot id ${e.bootId})`
  const lines = [`Transaction ${e.txn}  ${e.kind}  ${e.outcome}`, `  When:    ${e.started.at}${e.ended ? ` → ${e.ended.at}` : ""}`, `  By:      ${e.user} (pid ${e.pid})`, `  Command: ${e.argv.join(" ")}`]
  const label = e.outcome === "completed" || e.outcome === "in-flight" ? "Changed:" : "Undone: "
  e.changes.forEach((c, i) => lines.push(`  ${i === 0 ? label : "        "} ${c}`))
  if (e.reason) lines.push(`  Reason:  ${e.reason}`)
  if (e.undone?.length) lines.push(`  Removed: ${e.undone.join(", ")}`)
  if (e.error) lines.push(`  Error:   ${e.error}`)
  return lines.join("\n")
}

const renderDeployment = (d: ListedDeployment): string => {
  const flags = [d.staged && "staged", d.pending && "pending", d.rollback && "rollback", d.pinned && "pinned"].filter(Boolean)
  return `${d.booted ? "*" : " "} ${d.stateroot} ${d.checksum}.${d.serial}${flags.length ? ` (${flags.join(", ")})` : ""}`
}

const history: Command = {
  path: ["history"],
  summary: "Show the transactions and boots recorded in the event log (--at: as of a log position or time)",
  usage: "[--sysroot PATH] [--json] [--at POS|TIME]",
  options: { sysroot: { type: "string" }, json: { type: "boolean" }, at: { type: "string" } },
  run: async (args) => {
    const m = await modules()
    const atText = str(args.values["at"])
    const cutoff = atText === undefined ? undefined : m.parseCutoff(atText)
    if (atText !== undefined && !cutoff) throw new TransactionError({ op: "history", reason: "Invalid", detail: `--at must be a log position (>= 1) or an ISO date/time, got "${atText}"` })
    const log = await m.openEventLog(m.eventLogPath(sysrootOf(args)), { create: false })
    let state: { readonly history: HistoryState; readonly deployments?: DeploymentsState }
    try {
      // The deployments as they were are shown only with --at: without it, fold the history alone.
      state = cutoff
        ? await m.foldLog(m.combine({ history: m.historyProjection, deployments: m.deploymentsProjection }), log, {
            ...("pos" in cutoff ? { range: { to: cutoff.pos } } : {}),
            keep: m.within(cutoff),
          })
        : { history: await m.foldLog(m.historyProjection, log) }
    } finally {
      await log.close()
    }
    const entries = m.historyEntries(state.history)
    const deployments = state.deployments ? m.listDeployments(state.deployments) : undefined
    if (flag(args.values["json"])) return { json: { ...(cutoff ? { at: cutoff, pos: state.deployments!.pos, deployments } : {}), entries } }
    const out = entries.length ? entries.map(renderEntry) : ["no transactions recorded"]
    if (deployments) {
      out.push(`Deployments at ${"pos" in cutoff! ? `pos ${cutoff.pos}` : cutoff!.time}:`)
      out.push(...(deployments.length ? deployments.map(renderDeployment) : ["  (none)"]))
    }
    return out.join("\n")
  },
}

const recordBoot: Command = {
  path: ["admin", "record-boot"],
  summary: "Record this boot in the event log (for a boot-time unit; once per boot id)",
  usage: "[--sysroot PATH] [--json] [--deployment CSUM.SERIAL] [--boot-id ID]",
  options: { sysroot: { type: "string" }, json: { type: "boolean" }, deployment: { type: "string" }, "boot-id": { type: "string" } },
  run: async (args) => {
    const { recordBoot } = await import("../src/machines/record-boot.js")
    const deployment = str(args.values["deployment"])
    const bootId = str(args.values["boot-id"])
    const r = await recordBoot({
      sysroot: sysrootOf(args),
      ...(deployment !== undefined ? { deployment } : {}),
      ...(bootId !== undefined ? { bootId } : {}),
      onWait: (msg) => void process.stderr.write(`strata: ${msg}\n`),
    })
    if (flag(args.values["json"])) return { json: r }
    return r.recorded ? `recorded boot ${r.bootId}${r.deployment ? ` of ${r.deployment}` : ""} at pos ${r.pos}` : `boot ${r.bootId} was already recorded (pos ${r.pos})`
  },
}

export const historyCommands: ReadonlyArray<Command> = [history, recordBoot]
