/**
 * Judging two solvers' answers to one scenario: the same, or different but both acceptable —
 * strata's valid by the independent checker (src/solver/verify.ts), every request honoured, and
 * no more packages changed than the reference changed.
 */
import { checkSolution } from "../../src/solver/verify.js"
import { casePackage, type CaseFile, type CasePackage, type Played } from "./libsolv-case.js"

/**
 * same: identical answer; valid-not-larger: different, valid, no more packages changed;
 * valid-update: an update of everything that upgrades differently (upgrading more is not worse);
 * problems-differ: both unsolvable, explained by a different rule or with a different partial
 * answer; larger / invalid / solvability-differs: failures.
 */
export type Verdict = "same" | "valid-not-larger" | "valid-update" | "larger" | "invalid" | "problems-differ" | "solvability-differs"

/** Packages changed by a result in testcase syntax: install/erase 1 each, upgrade/downgrade 2. */
export const changes = (lines: ReadonlyArray<string>): number =>
  lines.reduce((n, l) => n + (/^(upgrade|downgrade|reinstall|change) /.test(l) ? 2 : /^(install|erase) /.test(l) ? 1 : 0), 0)

/** The packages installed after strata's transaction, as records. */
export const resultPackages = (file: CaseFile, played: Played): CasePackage[] => {
  const byId = new Map<string, CasePackage>()
  for (const r of file.repos) for (const p of r.packages) byId.set(`${p.name}-${p.epoch && p.epoch !== "0" ? `${p.epoch}:` : ""}${p.version}-${p.release}.${p.arch}@${r.name}`, p)
  return played.result.transaction.result.map((s) => byId.get(`${played.pool.nevra(s)}@${played.repoOf(s)}`)!)
}

/** Whether the install/erase requests (libsolv job lines) hold in the final set. */
export const jobsHonoured = (jobs: ReadonlyArray<string>, final: ReadonlyArray<CasePackage>): string[] => {
  const out: string[] = []
  for (const j of jobs) {
    const m = /^(install|erase) name (\S+)$/.exec(j)
    if (!m) continue
    const present = final.some((p) => p.name === m[2])
    if (m[1] === "install" && !present) out.push(`${m[2]} was to be installed`)
    if (m[1] === "erase" && present) out.push(`${m[2]} was to be erased`)
  }
  return out
}

export const judge = (file: CaseFile, jobs: ReadonlyArray<string>, played: Played, reference: ReadonlyArray<string>): { verdict: Verdict; detail: string } => {
  const ours = played.lines
  if (JSON.stringify(ours) === JSON.stringify([...reference].sort())) return { verdict: "same", detail: "" }
  const refProblems = reference.filter((l) => l.startsWith("problem"))
  const ourProblems = ours.filter((l) => l.startsWith("problem"))
  if (!!refProblems.length !== !!ourProblems.length) return { verdict: "solvability-differs", detail: `reference: ${refProblems.join("; ") || "solved"}; strata: ${ourProblems.join("; ") || "solved"}` }
  if (refProblems.length) return { verdict: "problems-differ", detail: `reference: ${refProblems.join("; ")}; strata: ${ourProblems.join("; ")}` }
  const final = resultPackages(file, played)
  // an installed set that was already broken stays broken (libsolv does not repair it either)
  const before = new Set(checkSolution((file.repos.find((r) => r.name === file.installed)?.packages ?? []).map(casePackage)))
  const violations = [...checkSolution(final.map(casePackage)).filter((v) => !before.has(v)), ...jobsHonoured(jobs, final)]
  if (violations.length) return { verdict: "invalid", detail: violations.slice(0, 3).join("; ") }
  if (changes(ours) > changes(reference)) {
    if (jobs.some((j) => j.startsWith("update ") || j.startsWith("distupgrade "))) return { verdict: "valid-update", detail: `${changes(ours)} changes vs ${changes(reference)}` }
    return { verdict: "larger", detail: `${changes(ours)} changes vs ${changes(reference)}` }
  }
  return { verdict: "valid-not-larger", detail: `${changes(ours)} changes vs ${changes(reference)}` }
}
