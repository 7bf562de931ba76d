/**
 * `strata apply-live` (rpm-ostree's `apply-live`): apply the pending deployment (or `--target
 * REV`, or with `--reset` the booted commit) to the running system through a transient overlay
 * on /usr (src/machines/live.ts). Additions only unless `--allow-replacement`. On a booted
 * system only; the booted deployment's directory is never written.
 */
import type { Command, Output, Parsed } from "./command.js"
import { flag, str } from "./command.js"
import { onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "./sysroot-args.js"
import type { ApplyLiveOptions, ApplyLiveOutput } from "../src/machines/live.js"

export const renderLive = (o: ApplyLiveOutput): string => {
  if (!o.changed) return "No changes to apply live."
  const lines: string[] = []
  const p = o.packages
  if (p.added.length) lines.push(`Added:\n${p.added.map((x) => `  ${x}`).join("\n")}`)
  if (p.changed.length) lines.push(`Changed:\n${p.changed.map((x) => `  ${x}`).join("\n")}`)
  if (p.removed.length) lines.push(`Removed:\n${p.removed.map((x) => `  ${x}`).join("\n")}`)
  lines.push("Successfully updated running filesystem tree.")
  return lines.join("\n")
}

/** Runs the apply-live transaction for the parsed sysroot options. */
export const applyLiveFor = async (args: Parsed, o: Omit<ApplyLiveOptions, "runDir">) => {
  const { runApplyLive } = await import("../src/machines/live.js")
  const runDir = await runDirOf(args)
  return runApplyLive({ sysroot: sysrootOf(args), ...(runDir ? { runDir } : {}), ...o, onWait })
}

export const applyLive: Command = {
  path: ["apply-live"],
  summary: "Apply the pending deployment's changes to the running system (transient overlay on /usr)",
  usage: "[--target=REV | --reset] [--allow-replacement] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...sysrootOptions, target: { type: "string" }, reset: { type: "boolean" }, "allow-replacement": { type: "boolean" }, json: { type: "boolean" } },
  run: async (args): Promise<Output> => {
    if (args.positionals.length) throw usage("apply-live", `unexpected argument "${args.positionals[0]}"`)
    const target = str(args.values["target"])
    const r = await applyLiveFor(args, { ...(target !== undefined ? { target } : {}), reset: flag(args.values["reset"]), allowReplacement: flag(args.values["allow-replacement"]) })
    return flag(args.values["json"]) ? { json: { txn: r.txn, ...r.output } } : renderLive(r.output)
  },
}

/** rpm-ostree's older spelling, `rpm-ostree ex apply-live`. */
export const exApplyLive: Command = { ...applyLive, path: ["ex", "apply-live"], summary: "Same as apply-live (rpm-ostree's older `ex apply-live`)" }

export const liveCommands: ReadonlyArray<Command> = [applyLive, exApplyLive]
