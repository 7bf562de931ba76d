/** Option and argument helpers shared by the `strata repo …` commands (ostree's names). */
import { RepoError } from "../../src/io/repo/error.js"
import { openRepo, type Repo } from "../../src/io/repo/repo.js"
import { str, type Options, type Parsed } from "../command.js"

export const repoOption: Options = { repo: { type: "string" } }

/** `--repo=PATH`, else $OSTREE_REPO, else the current directory — ostree's lookup order. */
export const repoPath = (args: Parsed): string => str(args.values.repo) ?? process.env.OSTREE_REPO ?? "."

export const useRepo = (args: Parsed): Promise<Repo> => openRepo(repoPath(args))

export const usage = (op: string, detail: string): RepoError => new RepoError({ op, reason: "Invalid", detail })

export const positional = (args: Parsed, i: number, op: string, name: string): string => {
  const v = args.positionals[i]
  if (v === undefined) throw usage(op, `missing ${name}`)
  return v
}

/** ostree accepts "@EPOCH", ISO dates and "YYYY-MM-DD[ HH:MM:SS]" (UTC unless a zone is given). */
export const parseTimestamp = (s: string): bigint => {
  if (/^@\d+$/.test(s)) return BigInt(s.slice(1))
  const iso = /^\d{4}-\d{2}-\d{2}( |T)\d{2}:\d{2}(:\d{2})?$/.test(s) || /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s.replace(" ", "T")}${s.length === 10 ? "T00:00:00" : ""}Z` : s
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw usage("commit", `could not parse timestamp "${s}"`)
  return BigInt(Math.floor(ms / 1000))
}

export const parseUint = (op: string, name: string, s: string | undefined): number | undefined => {
  if (s === undefined) return undefined
  if (!/^\d+$/.test(s)) throw usage(op, `${name} must be a non-negative integer, got "${s}"`)
  return Number(s)
}
