import { variant } from "../../src/formats/gvariant/index.js"
import { commitTree, type TreeSource } from "../../src/io/repo/commit.js"
import { flag, str, strs, type Command } from "../command.js"
import { parseTimestamp, parseUint, repoOption, usage, useRepo } from "./common.js"

export const commit: Command = {
  path: ["repo", "commit"],
  summary: "Commit a new revision",
  usage: "-b BRANCH [-s SUBJECT] [-m BODY] [--tree=dir=PATH|ref=REV]... [--link-checkout-speedup] [PATH]",
  options: {
    ...repoOption,
    branch: { type: "string", short: "b" },
    subject: { type: "string", short: "s" },
    body: { type: "string", short: "m" },
    tree: { type: "string", multiple: true },
    "add-metadata-string": { type: "string", multiple: true },
    timestamp: { type: "string" },
    parent: { type: "string" },
    orphan: { type: "boolean" },
    "owner-uid": { type: "string" },
    "owner-gid": { type: "string" },
    "no-xattrs": { type: "boolean" },
    "canonical-permissions": { type: "boolean" },
    "no-bindings": { type: "boolean" },
    "link-checkout-speedup": { type: "boolean" },
  },
  run: async (args) => {
    const v = args.values
    const trees: TreeSource[] = strs(v.tree).map((t) => {
      if (t.startsWith("dir=")) return { dir: t.slice(4) }
      if (t.startsWith("ref=")) return { ref: t.slice(4) }
      throw usage("commit", `--tree takes dir=PATH or ref=REV, got "${t}"`)
    })
    if (args.positionals[0]) trees.unshift({ dir: args.positionals[0] })
    const metadata = strs(v["add-metadata-string"]).map((kv) => {
      const eq = kv.indexOf("=")
      if (eq <= 0) throw usage("commit", `--add-metadata-string takes KEY=VALUE, got "${kv}"`)
      return [kv.slice(0, eq), variant("s", kv.slice(eq + 1))] as const
    })
    const parentOpt = str(v.parent)
    const repo = await useRepo(args)
    const res = await commitTree(repo, {
      branch: str(v.branch),
      orphan: flag(v.orphan),
      subject: str(v.subject),
      body: str(v.body),
      trees,
      metadata,
      timestamp: v.timestamp ? parseTimestamp(str(v.timestamp)!) : undefined,
      parent: parentOpt === undefined ? undefined : parentOpt === "none" ? null : parentOpt,
      ownerUid: parseUint("commit", "--owner-uid", str(v["owner-uid"])),
      ownerGid: parseUint("commit", "--owner-gid", str(v["owner-gid"])),
      noXattrs: flag(v["no-xattrs"]),
      canonicalPermissions: flag(v["canonical-permissions"]),
      bindRef: !flag(v["no-bindings"]),
      ...(flag(v["link-checkout-speedup"]) ? { devino: (await import("../../src/io/repo/devino.js")).scanDevino(repo) } : {}),
    })
    return res.commit
  },
}
