import { pruneRepo } from "../../src/io/repo/prune.js"
import { formatSize } from "../../src/lib/glib-format.js"
import { flag, str, type Command } from "../command.js"
import { parseTimestamp, repoOption, repoPath, usage } from "./common.js"

const UNIT_SECS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800, month: 2629746, year: 31556952 }

/** Absolute dates as `commit --timestamp` takes them, or "N units ago" (parse_datetime's relative form). */
const parseDate = (s: string): bigint => {
  const m = /^(\d+)\s*(second|minute|hour|day|week|month|year)s?\s+ago$/.exec(s.trim())
  if (m) return BigInt(Math.floor(Date.now() / 1000) - Number(m[1]) * UNIT_SECS[m[2]!]!)
  try {
    return parseTimestamp(s)
  } catch {
    throw usage("prune", `could not parse date "${s}"`)
  }
}

const parseDepth = (s: string | undefined): number => {
  if (s === undefined) return -1
  if (!/^-?\d+$/.test(s) || Number(s) < -1) throw usage("prune", `--depth must be -1 or a non-negative integer, got "${s}"`)
  return Number(s)
}

export const prune: Command = {
  path: ["repo", "prune"],
  summary: "Search for unreachable objects",
  usage: "[--no-prune] [--refs-only] [--depth=N] [--keep-younger-than=DATE] [--delete-commit=COMMIT]",
  options: {
    ...repoOption,
    "no-prune": { type: "boolean" },
    "refs-only": { type: "boolean" },
    depth: { type: "string" },
    "keep-younger-than": { type: "string" },
    "delete-commit": { type: "string" },
  },
  run: async (args) => {
    const v = args.values
    const keep = str(v["keep-younger-than"])
    const r = await pruneRepo(repoPath(args), {
      refsOnly: flag(v["refs-only"]),
      depth: parseDepth(str(v.depth)),
      noPrune: flag(v["no-prune"]),
      keepYoungerThan: keep === undefined ? undefined : parseDate(keep),
      deleteCommit: str(v["delete-commit"]),
    })
    const size = formatSize(r.freedBytes)
    const verdict = r.pruned === 0 ? "No unreachable objects"
      : flag(v["no-prune"]) ? `Would delete: ${r.pruned} objects, freeing ${size}`
      : `Deleted ${r.pruned} objects, ${size} freed`
    return `Total objects: ${r.total}\n${verdict}`
  },
}
