// libsolv's own test cases, translated into strata's case format (libsolv-case.ts), played through
// strata's solver: every run that uses only features strata supports must give libsolv's result
// — the same transaction and the same problem sentences. The tally of passes and skips is printed.
import t from "tap"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { expectedLines, play, unsupported, type CaseFile } from "./libsolv-case.js"

const dir = join(process.cwd(), "test", "solver", "libsolv-cases")
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
const skipped = new Map<string, number>()
let runs = 0
let passed = 0
const failed: string[] = []

for (const f of files) {
  const file = JSON.parse(readFileSync(join(dir, f), "utf8")) as CaseFile
  file.runs.forEach((run, k) => {
    runs++
    const why = unsupported(file, run)
    if (why) {
      skipped.set(why, (skipped.get(why) ?? 0) + 1)
      return
    }
    const name = `${file.source}#${k + 1}`
    let got: string[]
    try {
      got = play(file, run).lines
    } catch (e) {
      got = [`error: ${(e as Error).message}`]
    }
    const want = expectedLines(run)
    if (JSON.stringify(got) === JSON.stringify(want)) passed++
    else failed.push(`${name}\n  want: ${want.join(" | ")}\n  got:  ${got.join(" | ")}`)
  })
}

const played = runs - [...skipped.values()].reduce((a, b) => a + b, 0)
t.comment(`libsolv test cases: ${files.length} files, ${runs} runs; ${played} use supported features, ${passed} pass`)
for (const [why, n] of [...skipped].sort((a, b) => b[1] - a[1])) t.comment(`  skipped ${n}: ${why}`)
if (process.env["SOLVER_CASES_VERBOSE"]) for (const f of failed) t.comment(f)
// the floor is today's count: a change that breaks a passing case fails here
t.ok(passed >= Number(process.env["SOLVER_CASES_MIN"] ?? 110), `${passed} of ${played} supported runs give libsolv's result`)
