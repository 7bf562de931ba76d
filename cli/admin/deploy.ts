/**
 * `strata admin deploy REF` (ostree admin deploy): check out REF as a new deployment and make it
 * the default (a `deploy` transaction), or with `--stage` write it now and let the next shutdown
 * put it in the boot list (a `stage` transaction; `admin finalize-staged` does that part).
 */
import { readFileSync } from "node:fs"
import type { Command } from "../command.js"
import { flag, str, strs } from "../command.js"
import { machines, onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "../sysroot-args.js"

export const deploy: Command = {
  path: ["admin", "deploy"],
  summary: "Check out a commit as a new deployment and make it the default (--stage: at the next shutdown)",
  usage: "REF [--os=STATEROOT] [--karg=K=V]… [--karg-append=K=V]… [--karg-proc-cmdline] [--retain] [--not-as-default] [--no-merge] [--stage [--lock-finalization]] [--sysroot PATH] [--run-dir DIR]",
  options: {
    ...sysrootOptions,
    os: { type: "string" },
    karg: { type: "string", multiple: true },
    "karg-append": { type: "string", multiple: true },
    "karg-proc-cmdline": { type: "boolean" },
    retain: { type: "boolean" },
    "not-as-default": { type: "boolean" },
    "no-merge": { type: "boolean" },
    stage: { type: "boolean" },
    "lock-finalization": { type: "boolean" },
    json: { type: "boolean" },
  },
  run: async (args) => {
    const refspec = args.positionals[0]
    if (!refspec) throw usage("deploy", "missing REF")
    const sysroot = sysrootOf(args)
    const stateroot = str(args.values["os"])
    const kargEdit = {
      ...(flag(args.values["karg-proc-cmdline"]) ? { procCmdline: readFileSync("/proc/cmdline", "utf8") } : {}),
      replace: strs(args.values["karg"]),
      append: strs(args.values["karg-append"]),
    }
    const runDir = await runDirOf(args)
    const m = await machines()
    const common = { refspec, kargEdit, ...(stateroot !== undefined ? { stateroot } : {}), ...(runDir ? { runDir } : {}) }
    if (flag(args.values["stage"])) {
      if (flag(args.values["retain"]) || flag(args.values["not-as-default"])) throw usage("deploy", "--stage cannot be combined with --retain or --not-as-default")
      const r = await m.runSysrootTransaction({ sysroot, runDir, definition: m.stageTransaction, plan: m.planStage({ ...common, locked: flag(args.values["lock-finalization"]) }), onWait })
      return flag(args.values["json"]) ? { json: { txn: r.txn, ...r.output } } : `Staged ${r.output.deployment}; it becomes the default at the next shutdown`
    }
    const r = await m.runSysrootTransaction({
      sysroot,
      runDir,
      definition: m.deployTransaction,
      plan: m.planDeploy({ ...common, retain: flag(args.values["retain"]), notAsDefault: flag(args.values["not-as-default"]), noMerge: flag(args.values["no-merge"]) }),
      onWait,
    })
    if (flag(args.values["json"])) return { json: { txn: r.txn, ...r.output } }
    return `Deployed ${r.output.deployment} (${r.output.deployments.length} deployment${r.output.deployments.length === 1 ? "" : "s"}${r.output.deployments[0] === r.output.deployment ? ", the default" : ""})`
  },
}
