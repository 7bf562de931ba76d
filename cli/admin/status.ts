/** `strata admin status` (ostree admin status): the deployments, from the event log checked against the disk. */
import type { Command } from "../command.js"
import { flag } from "../command.js"
import { onWait, runDirOf, sysrootOf, sysrootOptions } from "../sysroot-args.js"

export const adminStatus: Command = {
  path: ["admin", "status"],
  summary: "List deployments (the booted one marked *), as ostree admin status does",
  usage: "[--sysroot PATH] [--run-dir DIR] [--json]",
  options: { ...sysrootOptions, json: { type: "boolean" } },
  run: async (args) => {
    const [{ readStatus }, { renderAdminStatus }] = await Promise.all([import("../../src/machines/status.js"), import("../render-status.js")])
    const r = await readStatus({ sysroot: sysrootOf(args), runDir: await runDirOf(args), onWait })
    return flag(args.values["json"]) ? { json: r } : renderAdminStatus(r)
  },
}
