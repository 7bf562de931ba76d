/** `strata status [--json] [-v]` (rpm-ostree status): the deployments, from the event log checked against the disk. */
import type { Command } from "./command.js"
import { flag } from "./command.js"
import { onWait, runDirOf, sysrootOf, sysrootOptions } from "./sysroot-args.js"

export const status: Command = {
  path: ["status"],
  summary: "Show the deployments (rpm-ostree status; --json with rpm-ostree's field names)",
  usage: "[--json] [-v] [--sysroot PATH] [--run-dir DIR]",
  options: { ...sysrootOptions, json: { type: "boolean" }, verbose: { type: "boolean", short: "v" } },
  run: async (args) => {
    const [{ readStatus }, render] = await Promise.all([import("../src/machines/status.js"), import("./render-status.js")])
    const r = await readStatus({ sysroot: sysrootOf(args), runDir: await runDirOf(args), onWait })
    return flag(args.values["json"]) ? { json: render.statusJson(r) } : render.renderStatus(r, flag(args.values["verbose"]))
  },
}
