import { fsckRepo, type FsckProblem, type FsckReport } from "../../src/io/repo/fsck.js"
import { exitCodeFor } from "../../src/lib/error.js"
import { flag, type Command } from "../command.js"
import { repoOption, useRepo } from "./common.js"

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

/** One line per problem: what is at fault, what is wrong, where it is used. */
export const formatProblem = (p: FsckProblem): string => {
  if (p.kind === "ref") return `error: ref ${p.ref}: ${p.detail}`
  const o = p.object!
  const where = p.kind === "fsck-partial" || p.commits.length === 0 ? "" : ` (in ${p.commits.length === 1 ? "commit" : "commits"} ${p.commits.join(", ")})`
  return `error: ${o.csum}.${o.type}: ${p.detail}${where}${p.deleted ? "; deleted" : ""}`
}

export const summarize = (r: FsckReport): string => {
  if (r.problems.length === 0) return `object fsck of ${r.commits} commits completed successfully - no errors found.`
  const count = (k: FsckProblem["kind"]): number => r.problems.filter((p) => p.kind === k).length
  const parts = [`${count("corrupt")} corrupted`, `${count("missing")} missing`]
  if (count("ref")) parts.push(plural(count("ref"), "bad ref"))
  if (count("fsck-partial")) parts.push(`${count("fsck-partial")} previously marked partial`)
  const deleted = r.problems.filter((p) => p.deleted).length
  return `fsck found ${plural(r.problems.length, "problem")} (${parts.join(", ")}) in ${plural(r.commits, "commit")}; ` +
    `${r.metadataChecked + r.contentChecked} objects checked${deleted ? `; ${deleted} corrupted objects deleted` : ""}`
}

export const fsck: Command = {
  path: ["repo", "fsck"],
  summary: "Check the repository for consistency",
  usage: "[-q] [--delete]",
  options: {
    ...repoOption,
    quiet: { type: "boolean", short: "q" },
    all: { type: "boolean", short: "a" },
    delete: { type: "boolean" },
  },
  run: async (args) => {
    const quiet = flag(args.values.quiet)
    const r = await fsckRepo(await useRepo(args), { delete: flag(args.values.delete) })
    const out: string[] = []
    if (!quiet) out.push("Validating refs...", "Enumerating commits...", `Verifying content integrity of ${r.commits} commit objects...`)
    if (!quiet && r.partialCommits) out.push(`${r.partialCommits} partial commits not verified`)
    const err = r.problems.map(formatProblem)
    for (const c of r.markedPartial) err.push(`Marking commit as partial: ${c}`)
    if (!quiet || r.problems.length) out.push(summarize(r))
    return {
      stdout: out.length ? out.join("\n") + "\n" : "",
      stderr: err.length ? err.join("\n") + "\n" : "",
      exitCode: r.problems.length ? exitCodeFor.Corrupt : 0,
    }
  },
}
