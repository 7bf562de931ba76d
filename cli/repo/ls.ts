import { printVariant } from "../../src/formats/gvariant/index.js"
import { listTree, type LsEntry } from "../../src/io/repo/ls.js"
import { flag, type Command } from "../command.js"
import { positional, repoOption, useRepo } from "./common.js"

const TYPE_CHAR: Record<LsEntry["type"], string> = { dir: "d", file: "-", symlink: "l" }

/** ostree's line: `d00755 0 0      0 [tree meta |csum ][{ xattrs } ]/path[ -> target]`. */
export const formatLsEntry = (e: LsEntry, opts: { checksum?: boolean; xattrs?: boolean } = {}): string => {
  let line = `${TYPE_CHAR[e.type]}0${e.mode.toString(8).padStart(4, "0")} ${e.uid} ${e.gid} ${String(e.size).padStart(6)} `
  if (opts.checksum) line += e.type === "dir" ? `${e.tree} ${e.checksum} ` : `${e.checksum} `
  if (opts.xattrs) line += `{ ${printVariant("a(ayay)", e.xattrs)} } `
  line += e.path
  if (e.type === "symlink") line += ` -> ${e.target}`
  return line
}

export const ls: Command = {
  path: ["repo", "ls"],
  summary: "List file paths",
  usage: "[-R] [-d] [-C] [-X] [--nul-filenames-only] COMMIT [PATH...]",
  options: {
    ...repoOption,
    dironly: { type: "boolean", short: "d" },
    recursive: { type: "boolean", short: "R" },
    checksum: { type: "boolean", short: "C" },
    xattrs: { type: "boolean", short: "X" },
    "nul-filenames-only": { type: "boolean" },
  },
  run: async (args) => {
    const v = args.values
    const entries = await listTree(await useRepo(args), {
      rev: positional(args, 0, "ls", "COMMIT"),
      paths: args.positionals.slice(1),
      recursive: flag(v.recursive),
      dirOnly: flag(v.dironly),
    })
    if (flag(v["nul-filenames-only"])) return { stdout: entries.map((e) => `${e.path}\0`).join("") }
    return entries.map((e) => formatLsEntry(e, { checksum: flag(v.checksum), xattrs: flag(v.xattrs) })).join("\n")
  },
}
