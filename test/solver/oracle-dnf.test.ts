// strata pkg solve against dnf (--installroot … --assumeno) and libsolv's testsolv (repo2solv /
// rpmdb2solv from the same metadata and rpmdb) on the fixture RPMs (rich and weak dependencies,
// epochs, ~ and ^ versions, file requirements) plus a small base repository, with and without an
// installed set; then generated universes written as rpm-md, through dnf.
import t from "tap"
import { execFileSync } from "node:child_process"
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { strata, tmp } from "../helpers/tmp.js"
import { rpmFixtures } from "../io/rpm-fixtures.js"
import { generate } from "./generate.js"
import { play } from "./libsolv-case.js"
import { judge } from "./oracle-check.js"
import { haveDnf, haveTool, runDnf, writeRpmMd } from "./oracle-io.js"

interface Report {
  ok: boolean
  install: string[]
  weak: string[]
  upgrade: Array<{ from: string; to: string }>
  erase: string[]
  obsolete: Array<{ from: string; to: string }>
  problems: Array<{ summary: string; rules: string[]; solutions: string[] }>
}

const solve = (args: string[]): Report => {
  const r = strata(["pkg", "solve", "--json", "--no-cache", ...args])
  if (r.status !== 0 && r.status !== 1) throw new Error(`strata pkg solve ${args.join(" ")}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Report
}
const installsOf = (r: Report): string[] => [...r.install, ...r.upgrade.map((u) => u.to)].sort()
const erasesOf = (r: Report): string[] => [...r.erase, ...r.obsolete.map((u) => u.from)].sort()

/** bash (owning /bin/sh) and coreutils, which the fixtures require. */
const baseRepo = (dir: string): string => {
  const base = join(dir, "base")
  writeRpmMd(base, [
    { name: "bash", version: "5.2.15", release: "2.fc40", arch: "x86_64", provides: ["/bin/sh"], files: ["/bin/sh", "/usr/bin/bash"] },
    { name: "coreutils", version: "9.4", release: "1.fc40", arch: "x86_64" },
  ])
  return base
}

/**
 * A root whose rpmdb (rpm's own, written by rpm --justdb) holds these package files, at
 * var/lib/rpm where rpmdb2solv looks, and linked from wherever this rpm's %_dbpath points (where
 * dnf looks; Debian's rpm says /root/.rpmdb).
 */
const installedRoot = (dir: string, rpms: string[]): { root: string; db: string } => {
  const root = join(dir, `root-${Math.random().toString(36).slice(2)}`)
  mkdirSync(join(root, "var/lib/rpm"), { recursive: true })
  if (rpms.length) execFileSync("rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "-i", "--justdb", "--nodeps", "--noscripts", ...rpms], { stdio: "ignore" })
  const dbpath = execFileSync("rpm", ["--eval", "%_dbpath"], { encoding: "utf8" }).trim()
  if (dbpath !== "/var/lib/rpm") {
    mkdirSync(join(root, dirname(dbpath)), { recursive: true })
    symlinkSync(relative(join(root, dirname(dbpath)), join(root, "var/lib/rpm")), join(root, dbpath))
  }
  return { root, db: join(root, "var/lib/rpm", "rpmdb.sqlite") }
}

/** libsolv on the same inputs: repo2solv per repository, rpmdb2solv for the root, then testsolv. */
const libsolv = (dir: string, repos: string[], root: string | undefined, jobs: string[], flags: string[] = []): string[] => {
  const lines: string[] = []
  repos.forEach((r, i) => {
    execFileSync("repo2solv", ["-o", join(dir, `r${i}.solv`), r])
    lines.push(`repo r${i} 0 solv r${i}.solv`)
  })
  if (root) {
    execFileSync("sh", ["-c", `rpmdb2solv -r ${root} > ${join(dir, "sys.solv")}`])
    lines.unshift("repo system 0 solv sys.solv")
  } else lines.unshift("repo system 0 empty")
  lines.push("system x86_64 rpm system", "poolflags implicitobsoleteusescolors", ...(flags.length ? [`solverflags ${flags.join(" ")}`] : []), ...jobs.map((j) => `job ${j}`), "result transaction,problems <inline>", "")
  writeFileSync(join(dir, "fx.t"), lines.join("\n"))
  return execFileSync("testsolv", ["-r", join(dir, "fx.t")], { encoding: "utf8" }).split("\n").filter(Boolean)
}
const libsolvInstalls = (lines: string[]): string[] =>
  lines.flatMap((l) => (l.startsWith("install ") ? [l.split(" ")[1]!] : /^(upgrade|downgrade) /.test(l) ? [l.split(" ")[2]!] : [])).map((x) => x.replace(/@.*$/, "")).sort()
const libsolvErases = (lines: string[]): string[] => lines.filter((l) => l.startsWith("erase ")).map((l) => l.split(" ")[1]!.replace(/@.*$/, "")).sort()

const tools = haveDnf() && haveTool("testsolv") && haveTool("repo2solv") && haveTool("rpmdb2solv") && haveTool("rpm")

t.test("fixture RPMs: strata vs dnf vs testsolv", { skip: !tools && "dnf, rpm or libsolv-tools missing" }, async (t) => {
  const fx = rpmFixtures()
  const dir = tmp(t)
  const base = baseRepo(dir)
  const repos = [fx.repo("gz"), base]
  const repoArgs = repos.flatMap((r) => ["--repo-dir", r])
  const cases: Array<{ name: string; install?: string[]; erase?: string[]; installed?: string[]; weak?: boolean }> = [
    { name: "install strata-tools", install: ["strata-tools"] },
    { name: "install strata-basic (rich requirements, a recommends)", install: ["strata-basic"] },
    { name: "install strata-basic without weak dependencies", install: ["strata-basic"], weak: false },
    { name: "install strata-signed", install: ["strata-signed"] },
    { name: "install strata-lib and strata-signed", install: ["strata-lib", "strata-signed"] },
    { name: "erase strata-lib with its dependents installed", erase: ["strata-lib"], installed: [fx.lib, fx.basic, fx.tools] },
    { name: "install strata-tools over an installed strata-lib", install: ["strata-tools"], installed: [fx.lib] },
    { name: "install strata-basic when it is installed already", install: ["strata-basic"], installed: [fx.lib, fx.basic, fx.tools] },
  ]
  for (const c of cases) {
    const root = installedRoot(dir, c.installed ?? [])
    const args = [...repoArgs, ...(c.installed ? ["--installed-db", root.db] : []), ...(c.install ?? []).flatMap((x) => ["--install", x]), ...(c.erase ?? []).flatMap((x) => ["--erase", x]), ...(c.weak === false ? ["--no-recommends"] : [])]
    const ours = solve(args)
    const dnf = runDnf({ root: root.root, repos, args: c.erase ? ["remove", ...c.erase] : ["install", ...(c.install ?? [])], weak: c.weak !== false })
    const ls = libsolv(dir, repos, c.installed ? root.root : undefined, [...(c.install ?? []).map((x) => `install name ${x}`), ...(c.erase ?? []).map((x) => `erase name ${x}`)], [...(c.weak === false ? ["ignorerecommended"] : []), ...(c.erase ? ["allowuninstall"] : [])])
    t.ok(ours.ok, `${c.name}: solved`)
    t.same(installsOf(ours), dnf.install, `${c.name}: installs as dnf`)
    t.same(erasesOf(ours), dnf.erase, `${c.name}: erases as dnf`)
    t.same(installsOf(ours), libsolvInstalls(ls), `${c.name}: installs as testsolv`)
    t.same(erasesOf(ours), libsolvErases(ls), `${c.name}: erases as testsolv`)
  }
})

t.test("fixture RPMs without their base: the problem in dnf's words", { skip: !tools && "dnf or libsolv-tools missing" }, async (t) => {
  const fx = rpmFixtures()
  const dir = tmp(t)
  const ours = solve(["--repo-dir", fx.repo("gz"), "--install", "strata-tools"])
  const dnf = runDnf({ root: join(dir, "root"), repos: [fx.repo("gz")], args: ["install", "strata-tools"] })
  t.notOk(ours.ok)
  t.ok(dnf.problems.length, "dnf finds no solution either")
  for (const line of dnf.problems.filter((l) => l.startsWith("- nothing provides"))) t.ok(ours.problems.some((p) => p.rules.includes(line.slice(2))), `strata says: ${line.slice(2)}`)
  t.ok(ours.problems[0]!.solutions.some((s) => s === "do not ask to install strata-tools"), "offers dropping the request")
  const cli = strata(["pkg", "solve", "--no-cache", "--repo-dir", fx.repo("gz"), "--install", "strata-tools"])
  t.equal(cli.status, 1, "exit status 1 when unsolvable")
  t.match(cli.stdout, /^Problem: nothing provides \/bin\/sh needed by strata-tools-2\.0\^git20240101-0\.1\.noarch/m)
})

t.test("generated universes as rpm-md: strata vs dnf", { skip: !haveDnf() && "dnf not installed" }, async (t) => {
  const dir = tmp(t)
  const n = Number(process.env["SOLVER_DNF_CASES"] ?? 25)
  const tally = new Map<string, number>()
  for (let seed = 5001; seed < 5001 + n; seed++) {
    const u = generate(seed, { installed: false })
    const repo = join(dir, `repo-${seed}`)
    writeRpmMd(repo, u.file.repos[1]!.packages)
    const dnf = runDnf({ root: join(dir, `root-${seed}`), repos: [repo], args: ["install", ...u.cli.install] })
    const played = play(u.file, u.run)
    // dnf's answer in testcase syntax, so the same judge applies
    const ref = dnf.problems.length ? dnf.problems.filter((p) => !p.startsWith("- ")).map((p) => `problem info ${p}`) : dnf.install.map((x) => `install ${x}@available`)
    const { verdict, detail } = judge(u.file, u.run.jobs, played, ref.sort())
    const v = verdict === "problems-differ" ? "both unsolvable" : verdict
    tally.set(v, (tally.get(v) ?? 0) + 1)
    if (verdict === "invalid" || verdict === "larger" || verdict === "solvability-differs") t.fail(`seed ${seed}: ${verdict} ${detail}; dnf: ${ref.join(" | ")}; strata: ${played.lines.join(" | ")}`)
  }
  t.comment(`${n} generated universes vs dnf: ${[...tally].map(([k, v]) => `${k} ${v}`).join(", ")}`)
  t.pass("every answer is dnf's, or valid and no larger")
})
