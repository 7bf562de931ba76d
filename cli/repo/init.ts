import { initRepo, parseMode } from "../../src/io/repo/repo.js"
import { str, type Command } from "../command.js"
import { repoOption, repoPath } from "./common.js"

export const init: Command = {
  path: ["repo", "init"],
  summary: "Initialize a new empty repository",
  usage: "[--mode=bare|bare-user|bare-user-only|archive] [--collection-id=ID]",
  options: { ...repoOption, mode: { type: "string" }, "collection-id": { type: "string" } },
  run: async (args) => {
    const mode = parseMode(str(args.values.mode) ?? "bare")
    await initRepo({ path: repoPath(args), mode, collectionId: str(args.values["collection-id"]) })
  },
}
