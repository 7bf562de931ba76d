import { pullLocal } from "../../src/io/repo/pull-local.js"
import { formatSize } from "../../src/lib/glib-format.js"
import { str, type Command } from "../command.js"
import { positional, repoOption, useRepo, usage } from "./common.js"

export const pullLocalCommand: Command = {
  path: ["repo", "pull-local"],
  summary: "Copy data from SRC_REPO",
  usage: "[--remote=REMOTE] [--depth=DEPTH] SRC_REPO [REFS...]",
  options: { ...repoOption, remote: { type: "string" }, depth: { type: "string" }, untrusted: { type: "boolean" } },
  run: async (args) => {
    const srcPath = positional(args, 0, "pull-local", "SRC_REPO")
    const d = str(args.values.depth) ?? "0"
    if (!/^-?\d+$/.test(d) || Number(d) < -1) throw usage("pull-local", `--depth must be -1 or a non-negative integer, got "${d}"`)
    const { stats } = await pullLocal(await useRepo(args), {
      src: srcPath,
      refs: args.positionals.slice(1),
      remote: str(args.values.remote),
      depth: Number(d),
    })
    return `${stats.metadataWritten} metadata, ${stats.contentWritten} content objects imported; ${formatSize(stats.contentBytesWritten)} content written`
  },
}
