/** `strata repo pull REMOTE[:REF] [REF...]` (ot-builtin-pull.c). */
import { pull } from "../../src/io/remote/pull.js"
import { formatSize } from "../../src/lib/glib-format.js"
import { flag, str, type Command } from "../command.js"
import { pullProgressView } from "../progress.js"
import { positional, repoOption, usage, useRepo } from "./common.js"

export const pullCommand: Command = {
  path: ["repo", "pull"],
  summary: "Download data from a remote repository",
  usage: "[--depth=N] [--commit-metadata-only] [--mirror] [--disable-static-deltas] [--allow-downgrade] REMOTE[:REF] [REF...]",
  options: {
    ...repoOption,
    sysroot: { type: "string" },
    depth: { type: "string" },
    "commit-metadata-only": { type: "boolean" },
    mirror: { type: "boolean" },
    "disable-static-deltas": { type: "boolean" },
    "allow-downgrade": { type: "boolean" },
    "timestamp-check": { type: "boolean" },
  },
  run: async (args) => {
    const first = positional(args, 0, "pull", "REMOTE")
    const colon = first.indexOf(":")
    const remote = colon < 0 ? first : first.slice(0, colon)
    const refs = [...(colon < 0 ? [] : [first.slice(colon + 1)]), ...args.positionals.slice(1)]
    const d = str(args.values.depth) ?? "0"
    if (!/^-?\d+$/.test(d) || Number(d) < -1) throw usage("pull", `--depth must be -1 or a non-negative integer, got "${d}"`)
    const view = await pullProgressView()
    try {
      const r = await pull(await useRepo(args), {
        remote, refs, depth: Number(d), sysroot: str(args.values.sysroot),
        commitMetadataOnly: flag(args.values["commit-metadata-only"]),
        mirror: flag(args.values.mirror),
        disableStaticDeltas: flag(args.values["disable-static-deltas"]),
        allowDowngrade: flag(args.values["allow-downgrade"]),
        onProgress: view.onProgress,
      })
      view.stop()
      const parts = r.deltaPartsFetched ? `${r.deltaPartsFetched} delta parts, ` : ""
      return `${parts}${r.metadataFetched} metadata, ${r.contentFetched} content objects fetched; ${formatSize(r.bytesTransferred)} transferred in ${Math.round(r.seconds)} seconds; ${formatSize(r.stats.contentBytesWritten)} content written`
    } finally {
      view.stop()
    }
  },
}
