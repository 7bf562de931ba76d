/**
 * `strata initramfs` and `strata initramfs-etc` (rpm-ostree's): edit the origin's `[rpmostree]`
 * keys and make a new deployment through the layering transaction, whose assembly regenerates
 * the initramfs with the tree's dracut (src/io/initramfs). Without an option, print the state of
 * the default deployment (the one that boots next), as rpm-ostree prints it.
 */
import type { Command, Options, Parsed } from "./command.js"
import { flag, str, strs } from "./command.js"
import { onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "./sysroot-args.js"
import type { LayerEdit } from "../src/machines/index.js"

const common: Options = { ...sysrootOptions, os: { type: "string" }, stateroot: { type: "string" }, json: { type: "boolean" } }

const stateOf = async (args: Parsed) => {
  const [{ loadSysroot }, { parseLayerState }] = await Promise.all([import("../src/io/sysroot/read-state.js"), import("../src/io/sysroot/origin-layers.js")])
  const runDir = await runDirOf(args)
  const state = await loadSysroot({ sysroot: sysrootOf(args), ...(runDir ? { runDir } : {}) })
  const os = str(args.values["stateroot"]) ?? str(args.values["os"])
  const d = state.deployments.find((x) => os === undefined || x.stateroot === os)
  return parseLayerState(d?.origin ?? "")
}

const apply = async (args: Parsed, edit: LayerEdit) => {
  const runDir = await runDirOf(args)
  const os = str(args.values["stateroot"]) ?? str(args.values["os"])
  const m = await import("../src/machines/index.js")
  return m.runLayer({ sysroot: sysrootOf(args), ...(runDir ? { runDir } : {}), ...(os ? { stateroot: os } : {}), edit, onWait })
}

const deployed = (o: { staged: boolean; deployment?: string }): string =>
  o.staged ? `Staged ${o.deployment ?? ""}\nRun "systemctl reboot" to start a reboot` : `Deployed ${o.deployment ?? ""} (the default at the next boot)`

export const initramfs: Command = {
  path: ["initramfs"],
  summary: "Enable or disable regenerating the initramfs with the deployment's dracut (a new deployment); no option: show the state",
  usage: "[--enable [--arg=ARG]... | --disable] [--stateroot=NAME] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, enable: { type: "boolean" }, disable: { type: "boolean" }, arg: { type: "string", multiple: true } },
  run: async (args) => {
    const enable = flag(args.values["enable"])
    const disable = flag(args.values["disable"])
    const extra = strs(args.values["arg"])
    if (args.positionals.length) throw usage("initramfs", `unexpected argument "${args.positionals[0]}"`)
    if (!enable && !disable) {
      if (extra.length) throw usage("initramfs", "--arg must be used with --enable")
      const s = await stateOf(args)
      if (flag(args.values["json"])) return { json: { "regenerate-initramfs": s.regenerateInitramfs, "initramfs-args": s.regenerateInitramfs ? s.initramfsArgs : [] } }
      return [`Initramfs regeneration: ${s.regenerateInitramfs ? "enabled" : "disabled"}`, ...(s.regenerateInitramfs && s.initramfsArgs.length ? [`Initramfs args: ${s.initramfsArgs.map((a) => `${a} `).join("")}`] : [])].join("\n")
    }
    if (enable && disable) throw usage("initramfs", "cannot specify both --enable and --disable")
    if (disable && extra.length) throw usage("initramfs", "cannot combine --disable and --arg")
    const r = await apply(args, { op: "initramfs", enable, args: extra })
    if (flag(args.values["json"])) return { json: { txn: r.txn, ...r.output } }
    return [`Initramfs regeneration is now: ${enable ? "enabled" : "disabled"}`, ...(enable ? [] : ["Initramfs will be reset to default on next reboot."]), deployed(r.output)].join("\n")
  },
}

export const initramfsEtc: Command = {
  path: ["initramfs-etc"],
  summary: "Track /etc files to carry into the initramfs (a new deployment); no option: list them",
  usage: "[--track=/etc/FILE]... [--untrack=/etc/FILE]... [--untrack-all] [--stateroot=NAME] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, track: { type: "string", multiple: true }, untrack: { type: "string", multiple: true }, "untrack-all": { type: "boolean" } },
  run: async (args) => {
    const track = strs(args.values["track"])
    const untrack = strs(args.values["untrack"])
    const untrackAll = flag(args.values["untrack-all"])
    if (args.positionals.length) throw usage("initramfs-etc", `unexpected argument "${args.positionals[0]}"`)
    if (!track.length && !untrack.length && !untrackAll) {
      const s = await stateOf(args)
      if (flag(args.values["json"])) return { json: { "initramfs-etc": s.initramfsEtc } }
      return s.initramfsEtc.length ? ["Tracked files:", ...s.initramfsEtc.map((f) => `  ${f}`)].join("\n") : "No tracked files."
    }
    const r = await apply(args, { op: "initramfs-etc", track, untrack, untrackAll })
    if (flag(args.values["json"])) return { json: { txn: r.txn, ...r.output } }
    return r.output.changed ? deployed(r.output) : "No changes."
  },
}

export const initramfsCommands: ReadonlyArray<Command> = [initramfs, initramfsEtc]
