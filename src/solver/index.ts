/**
 * strata's dependency solver (pure: no I/O). Build a Pool from repositories and the installed
 * set, turn the user's words into Selections, and solve Jobs:
 *
 *   const pool = new Pool({ arch: "x86_64" })
 *   addMdRepo(pool, { name: "fedora", packages })          // rpm-md primary records
 *   const sys = pool.addRepo({ name: "@System", installed: true })
 *   for (const h of headers) pool.addPackage(sys, packageOfHeader(h))
 *   const r = solve(pool, { jobs: [{ op: "install", what: select(pool, "vim") }] })
 *   r.ok ? r.transaction.steps : r.problems
 */
import "./rich.js" // pool.dep parses rich dependencies with it
export { Pool, type Repo, type PoolOptions } from "./pool.js"
export { addMdPackage, addMdRepo } from "./input-md.js"
export { packageOfHeader } from "./input-header.js"
export type { PackageInput, DepKind } from "./package.js"
export { select, selectNevra, selectProvides, selectFile, selectGlob, byName, type Selection } from "./selection.js"
export type { Job } from "./jobs.js"
export { solve, type SolveOptions, type SolveResult, type SolveStats } from "./solver.js"
export type { Problem, Solution } from "./problems.js"
export type { Transaction, Step, StepKind } from "./transaction.js"
export { checkSolution } from "./verify.js"
export { archPolicy } from "./arch.js"
