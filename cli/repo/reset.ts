import { resetRef } from "../../src/io/repo/reset.js"
import { flag, type Command } from "../command.js"
import { positional, repoOption, useRepo } from "./common.js"

export const reset: Command = {
  path: ["repo", "reset"],
  summary: "Reset a REF to a previous COMMIT",
  usage: "[--force] REF COMMIT",
  options: { ...repoOption, force: { type: "boolean" } },
  run: async (args) => {
    const ref = positional(args, 0, "reset", "REF")
    const rev = positional(args, 1, "reset", "COMMIT")
    await resetRef(await useRepo(args), ref, rev, { force: flag(args.values.force) })
  },
}
