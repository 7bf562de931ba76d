import { listRefs, resolveRev, writeRefNow, refKindFor, readRef } from "../../src/io/repo/refs.js"
import { loadCommit } from "../../src/io/repo/object-read.js"
import { parseRefspec } from "../../src/formats/ostree/index.js"
import { RepoError } from "../../src/io/repo/error.js"
import { flag, str, type Command } from "../command.js"
import { positional, repoOption, useRepo } from "./common.js"

export const refs: Command = {
  path: ["repo", "refs"],
  summary: "List refs, or create/delete them",
  usage: "[PREFIX] [--delete] [--create=NEWREF COMMIT] [--list]",
  options: { ...repoOption, delete: { type: "boolean" }, create: { type: "string" }, list: { type: "boolean" }, force: { type: "boolean" } },
  run: async (args) => {
    const repo = await useRepo(args)
    const prefix = args.positionals[0]
    if (args.values.create !== undefined) {
      const target = positional(args, 0, "refs", "COMMIT")
      const csum = await resolveRev(repo, target, async (c) => (await loadCommit(repo, c)).parent)
      await loadCommit(repo, csum)
      const spec = parseRefspec(str(args.values.create)!)
      const kind = refKindFor(spec.remote)
      if (!flag(args.values.force) && (await readRef(repo, kind, spec.ref))) {
        throw new RepoError({ op: "refs --create", reason: "AlreadyExists", detail: `ref ${spec.ref} already exists (use --force)` })
      }
      await writeRefNow(repo, kind, spec.ref, csum)
      return
    }
    const all = await listRefs(repo)
    const matching = all.filter((r) => !prefix || r.name === prefix || r.name.startsWith(prefix.endsWith("/") || prefix.endsWith(":") ? prefix : `${prefix}/`))
    if (flag(args.values.delete)) {
      if (!prefix) throw new RepoError({ op: "refs --delete", reason: "Invalid", detail: "give the ref (or prefix) to delete" })
      if (matching.length === 0) throw new RepoError({ op: "refs --delete", reason: "NotFound", detail: `no ref matches "${prefix}"` })
      for (const r of matching) await writeRefNow(repo, r.kind, r.ref, null)
      return
    }
    return matching.map((r) => r.name).join("\n")
  },
}

export const revParse: Command = {
  path: ["repo", "rev-parse"],
  summary: "Output the target of a rev",
  usage: "REV",
  options: { ...repoOption, single: { type: "boolean", short: "S" } },
  run: async (args) => {
    const repo = await useRepo(args)
    return resolveRev(repo, positional(args, 0, "rev-parse", "REV"), async (c) => (await loadCommit(repo, c)).parent)
  },
}
