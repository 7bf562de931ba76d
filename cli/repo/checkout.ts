import { checkout as checkoutCommit } from "../../src/io/repo/checkout.js"
import { flag, str, type Command } from "../command.js"
import { positional, repoOption, useRepo } from "./common.js"

export const checkout: Command = {
  path: ["repo", "checkout"],
  summary: "Check out a commit into a filesystem tree",
  usage: "[-H] [-U] [--union] [--subpath=PATH] COMMIT [DESTINATION]",
  options: {
    ...repoOption,
    "require-hardlinks": { type: "boolean", short: "H" },
    "user-mode": { type: "boolean", short: "U" },
    union: { type: "boolean" },
    subpath: { type: "string" },
    "force-copy": { type: "boolean", short: "C" },
  },
  run: async (args) => {
    const rev = positional(args, 0, "checkout", "COMMIT")
    const dest = args.positionals[1] ?? rev
    await checkoutCommit(await useRepo(args), {
      rev,
      destination: dest,
      requireHardlinks: flag(args.values["require-hardlinks"]),
      userMode: flag(args.values["user-mode"]),
      union: flag(args.values.union),
      subpath: str(args.values.subpath),
      forceCopy: flag(args.values["force-copy"]),
    })
  },
}
