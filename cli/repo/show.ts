import { commitMetadataValue, detachedMetadataValue, showObject } from "../../src/io/repo/show.js"
import { flag, str, type Command } from "../command.js"
import { formatCommit, formatRawObject, formatRawValue } from "./commit-text.js"
import { positional, repoOption, useRepo } from "./common.js"

export const show: Command = {
  path: ["repo", "show"],
  summary: "Output a metadata object",
  usage: "[--print-metadata-key=KEY] [--print-detached-metadata-key=KEY] [--raw] [-B] OBJECT",
  options: {
    ...repoOption,
    "print-metadata-key": { type: "string" },
    "print-detached-metadata-key": { type: "string" },
    raw: { type: "boolean" },
    "no-byteswap": { type: "boolean", short: "B" },
  },
  run: async (args) => {
    const repo = await useRepo(args)
    const rev = positional(args, 0, "show", "OBJECT")
    const noSwap = flag(args.values["no-byteswap"])
    const key = str(args.values["print-metadata-key"])
    const dkey = str(args.values["print-detached-metadata-key"])
    if (key !== undefined || dkey !== undefined) {
      const v = key !== undefined ? await commitMetadataValue(repo, rev, key) : await detachedMetadataValue(repo, rev, dkey!)
      return formatRawValue(v.type, v.value, noSwap)
    }
    const o = await showObject(repo, rev)
    // ostree -B prints the unswapped variant and then, unlike --raw, still the commit's fields.
    if (noSwap) {
      const fields = o.commit ? formatCommit(o.checksum, o.commit).replace(/^.*\n/, "") : ""
      return { stdout: formatRawObject(o.type, o.checksum, o.bytes, true) + fields }
    }
    if (flag(args.values.raw)) return { stdout: formatRawObject(o.type, o.checksum, o.bytes) }
    return { stdout: o.commit ? formatCommit(o.checksum, o.commit) : `${o.type} ${o.checksum}\n` }
  },
}
