import { commitLog } from "../../src/io/repo/show.js"
import { flag, type Command } from "../command.js"
import { formatCommit, formatRawObject } from "./commit-text.js"
import { positional, repoOption, useRepo } from "./common.js"

export const log: Command = {
  path: ["repo", "log"],
  summary: "Show log starting at commit or ref",
  usage: "[--raw] REV",
  options: { ...repoOption, raw: { type: "boolean" } },
  run: async (args) => {
    const { entries, truncated } = await commitLog(await useRepo(args), positional(args, 0, "log", "REV"))
    const raw = flag(args.values.raw)
    const text = entries.map((e) => (raw ? formatRawObject("commit", e.checksum, e.bytes) : formatCommit(e.checksum, e.commit))).join("")
    return { stdout: text + (truncated ? "<< History beyond this commit not fetched >>\n" : "") }
  },
}
