/**
 * `strata admin kargs edit-in-place --append-if-missing=ARG…` (ostree admin's): rewrite the
 * kernel arguments of every deployment's boot entry in place (a `kargs-edit` transaction).
 */
import type { Command } from "../command.js"
import { strs } from "../command.js"
import { machines, onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "../sysroot-args.js"

export const kargsEditInPlace: Command = {
  path: ["admin", "kargs", "edit-in-place"],
  summary: "Append kernel arguments to every deployment's boot entry in place, unless their key is there",
  usage: "--append-if-missing=KEY[=VALUE]… [--sysroot PATH] [--run-dir DIR]",
  options: { ...sysrootOptions, "append-if-missing": { type: "string", multiple: true } },
  run: async (args) => {
    const appendIfMissing = strs(args.values["append-if-missing"])
    if (appendIfMissing.length === 0) throw usage("kargs edit-in-place", "nothing to do: give --append-if-missing=ARG")
    const runDir = await runDirOf(args)
    const m = await machines()
    const r = await m.runSysrootTransaction({ sysroot: sysrootOf(args), runDir, definition: m.kargsEditTransaction, plan: m.planKargsEdit({ appendIfMissing, ...(runDir ? { runDir } : {}) }), onWait })
    return r.output.changed.length ? `Updated the kernel arguments of ${r.output.changed.join(", ")}` : "Kernel arguments unchanged"
  },
}
