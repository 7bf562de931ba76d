import { catFiles } from "../../src/io/repo/cat.js"
import type { Command } from "../command.js"
import { positional, repoOption, useRepo } from "./common.js"

export const cat: Command = {
  path: ["repo", "cat"],
  summary: "Concatenate contents of files",
  usage: "COMMIT PATH...",
  options: { ...repoOption },
  run: async (args) => {
    const rev = positional(args, 0, "cat", "COMMIT")
    positional(args, 1, "cat", "PATH")
    return { stdout: await catFiles(await useRepo(args), rev, args.positionals.slice(1)) }
  },
}
