/** `strata repo static-delta generate|list|show|apply-offline` (ot-builtin-static-delta.c). */
import { applyOffline, showDelta } from "../../src/io/remote/delta-offline.js"
import { defaultFrom, generateDelta } from "../../src/io/remote/delta-generate.js"
import { listDeltas } from "../../src/io/remote/delta-index.js"
import { revParse } from "../../src/io/repo/rev.js"
import { flag, str, type Command } from "../command.js"
import { parseUint, positional, repoOption, usage, useRepo } from "./common.js"

export const deltaGenerate: Command = {
  path: ["repo", "static-delta", "generate"],
  summary: "Generate static delta files",
  usage: "[--from=REV | --empty] --to=REV [--inline] [--min-fallback-size=MB] [--max-chunk-size=MB]",
  options: {
    ...repoOption, from: { type: "string" }, to: { type: "string" }, empty: { type: "boolean" }, inline: { type: "boolean" },
    "min-fallback-size": { type: "string" }, "max-chunk-size": { type: "string" }, "disable-bsdiff": { type: "boolean" },
  },
  run: async (args) => {
    const repo = await useRepo(args)
    const toRev = str(args.values.to)
    if (!toRev) throw usage("static-delta generate", "--to=REV is required")
    if (flag(args.values.empty) && str(args.values.from)) throw usage("static-delta generate", "--from and --empty are exclusive")
    const to = await revParse(repo, toRev)
    const fromRev = str(args.values.from)
    const from = flag(args.values.empty) ? null : fromRev ? await revParse(repo, fromRev) : await defaultFrom(repo, to)
    const mb = (name: string): number | undefined => {
      const n = parseUint("static-delta generate", `--${name}`, str(args.values[name]))
      return n === undefined ? undefined : n * 1_000_000
    }
    const r = await generateDelta(repo, { from, to, inline: flag(args.values.inline), minFallbackSize: mb("min-fallback-size"), maxChunkSize: mb("max-chunk-size") })
    return `Generated static delta ${from ? `${from}-` : ""}${to}: ${r.objects} objects in ${r.parts} parts, ${r.fallbacks} fallbacks`
  },
}

export const deltaList: Command = {
  path: ["repo", "static-delta", "list"],
  summary: "List static delta files",
  usage: "",
  options: { ...repoOption },
  run: async (args) => {
    const ds = await listDeltas(await useRepo(args))
    return ds.length ? ds.map((d) => d.name).join("\n") : "(No static deltas)"
  },
}

export const deltaShow: Command = {
  path: ["repo", "static-delta", "show"],
  summary: "Dump information on a delta",
  usage: "DELTA",
  options: { ...repoOption },
  run: async (args) => showDelta(await useRepo(args), positional(args, 0, "static-delta show", "DELTA")),
}

export const deltaApplyOffline: Command = {
  path: ["repo", "static-delta", "apply-offline"],
  summary: "Apply static delta file",
  usage: "PATH",
  options: { ...repoOption },
  run: async (args) => void (await applyOffline(await useRepo(args), positional(args, 0, "static-delta apply-offline", "PATH"))),
}

export const staticDeltaCommands: ReadonlyArray<Command> = [deltaGenerate, deltaList, deltaShow, deltaApplyOffline]
