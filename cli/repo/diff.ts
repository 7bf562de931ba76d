import { diffStats, diffTrees, type DiffTarget } from "../../src/io/repo/diff.js"
import { formatSize } from "../../src/lib/glib-format.js"
import { flag, str, type Command } from "../command.js"
import { parseUint, positional, repoOption, useRepo } from "./common.js"

/** ostree's rule (parse_file_or_commit): "/…" and "./…" are directories, anything else a rev. */
const target = (arg: string): DiffTarget => (arg.startsWith("/") || arg.startsWith("./") ? { dir: arg } : { rev: arg })

export const diff: Command = {
  path: ["repo", "diff"],
  summary: "Compare directory TARGETDIR against revision REV",
  usage: "[--stats] [--no-xattrs] [--owner-uid=UID] [--owner-gid=GID] REV_OR_DIR [REV_OR_DIR]",
  options: {
    ...repoOption,
    stats: { type: "boolean" },
    "no-xattrs": { type: "boolean" },
    "owner-uid": { type: "string" },
    "owner-gid": { type: "string" },
  },
  run: async (args) => {
    const first = positional(args, 0, "diff", "REV_OR_DIR")
    // One argument compares a commit with its parent.
    const [src, dst] = args.positionals.length === 1 ? [`${first}^`, first] : [first, args.positionals[1]!]
    const repo = await useRepo(args)
    const lines: string[] = []
    if (flag(args.values.stats)) {
      const s = await diffStats(repo, src, dst)
      lines.push(`[A] Object Count: ${s.objectsA}`, `[B] Object Count: ${s.objectsB}`, `Common Object Count: ${s.common}`, `Common Object Size: ${formatSize(s.commonSize)}`)
      return lines.join("\n") // ostree prints only the statistics then
    }
    const r = await diffTrees(repo, target(src), target(dst), {
      noXattrs: flag(args.values["no-xattrs"]),
      ownerUid: parseUint("diff", "--owner-uid", str(args.values["owner-uid"])),
      ownerGid: parseUint("diff", "--owner-gid", str(args.values["owner-gid"])),
    })
    for (const p of r.modified) lines.push(`M    ${p}`)
    for (const p of r.removed) lines.push(`D    ${p}`)
    for (const p of r.added) lines.push(`A    ${p}`)
    return lines.join("\n")
  },
}
