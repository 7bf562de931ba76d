/**
 * `strata pkg solve`: resolve dependencies for installs, erases and upgrades against local rpm-md
 * repositories and an installed rpmdb, and print the transaction — or the problems, in dnf's
 * words, with the ways out libsolv would offer. A thin wrapper: loading is cli/pkg-solve-load.ts,
 * solving is src/solver.
 */
import { join } from "node:path"
import { homedir } from "node:os"
import type { Command } from "./command.js"
import { flag, str, strs } from "./command.js"
import type { Job } from "../src/solver/jobs.js"
import type { Reason } from "../src/lib/error.js"

// effect (behind SolverError) costs tens of milliseconds to load: only when there is an error
const fail = async (reason: Reason, detail: string): Promise<never> => {
  throw new (await import("../src/solver/error.js")).SolverError({ op: "pkg solve", reason, detail })
}

/** dnf's default installonlypkgs. */
const INSTALLONLY = ["kernel", "kernel-PAE", "installonlypkg(kernel)", "installonlypkg(kernel-module)", "installonlypkg(vm)", "multiversion(kernel)"]

const render = (r: SolveReport): string => {
  const out: string[] = []
  const section = (title: string, rows: ReadonlyArray<string>): void => {
    if (rows.length) out.push(`${title}:`, ...rows.map((x) => `  ${x}`))
  }
  if (r.problems.length) {
    r.problems.forEach((p, i) => {
      out.push(`Problem${r.problems.length > 1 ? ` ${i + 1}` : ""}: ${p.summary}`, ...p.rules.slice(1).map((x) => `  - ${x}`))
      if (p.solutions.length) out.push("  Solutions:", ...p.solutions.map((x) => `    - ${x}`))
    })
    return out.join("\n")
  }
  section("Installing", r.install.filter((x) => !r.weak.includes(x)))
  section("Installing weak dependencies", r.weak)
  section("Upgrading", r.upgrade.map((u) => `${u.from} -> ${u.to}`))
  section("Downgrading", r.downgrade.map((u) => `${u.from} -> ${u.to}`))
  section("Reinstalling", r.reinstall)
  section("Obsoleting", r.obsolete.map((u) => `${u.from} (by ${u.to})`))
  section("Removing", r.erase)
  if (!out.length) return "Nothing to do."
  const n = (k: number, w: string): string => `${k} ${w}${k === 1 ? "" : "s"}`
  out.push("", `Transaction Summary: install ${n(r.install.length, "package")}, upgrade ${r.upgrade.length}, downgrade ${r.downgrade.length}, remove ${r.erase.length + r.obsolete.length}`)
  return out.join("\n")
}

export interface SolveReport {
  readonly ok: boolean
  readonly install: string[]
  readonly weak: string[]
  readonly upgrade: Array<{ from: string; to: string }>
  readonly downgrade: Array<{ from: string; to: string }>
  readonly reinstall: string[]
  readonly obsolete: Array<{ from: string; to: string }>
  readonly erase: string[]
  readonly problems: Array<{ summary: string; rules: ReadonlyArray<string>; solutions: string[] }>
  readonly stats: Record<string, unknown>
}

export const solveCommand: Command = {
  path: ["pkg", "solve"],
  summary: "Resolve dependencies against local rpm-md repositories and an rpmdb; print the transaction or the problems",
  usage:
    "[--repo-dir DIR]... [--installed-db PATH] [--install SPEC]... [--erase SPEC]... [--upgrade] [--distro-sync] [--lock SPEC]... [--exclude GLOB]... [--no-recommends] [--best] [--installonly CAP]... [--allowerasing] [--arch ARCH] [--cache-dir DIR] [--no-cache] [--filelists] [--json] [SPEC...]",
  options: {
    "repo-dir": { type: "string", multiple: true },
    "installed-db": { type: "string" },
    install: { type: "string", multiple: true },
    erase: { type: "string", multiple: true },
    upgrade: { type: "boolean" },
    "distro-sync": { type: "boolean" },
    lock: { type: "string", multiple: true },
    exclude: { type: "string", multiple: true },
    "no-recommends": { type: "boolean" },
    best: { type: "boolean" },
    installonly: { type: "string", multiple: true },
    allowerasing: { type: "boolean" },
    arch: { type: "string" },
    "cache-dir": { type: "string" },
    "no-cache": { type: "boolean" },
    filelists: { type: "boolean" },
    json: { type: "boolean" },
  },
  run: async (args) => {
    const [{ loadPool }, { solve }, { select, selectGlob, selectProvides }] = await Promise.all([import("./pkg-solve-load.js"), import("../src/solver/solver.js"), import("../src/solver/selection.js")])
    const repoDirs = strs(args.values["repo-dir"])
    const installedDb = str(args.values["installed-db"])
    if (!repoDirs.length && installedDb === undefined) await fail("Invalid", "nothing to solve against: give --repo-dir and/or --installed-db")
    const installs = [...strs(args.values["install"]), ...args.positionals]
    const erases = strs(args.values["erase"])
    const upgrade = flag(args.values["upgrade"])
    const dsync = flag(args.values["distro-sync"])
    if (!installs.length && !erases.length && !upgrade && !dsync) await fail("Invalid", "nothing to do: give --install, --erase, --upgrade or --distro-sync")
    const cacheDir = flag(args.values["no-cache"])
      ? undefined
      : (str(args.values["cache-dir"]) ?? join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "strata", "solver"))
    const t0 = performance.now()
    const { pool, source, save } = await loadPool({ repoDirs, installedDb, arch: str(args.values["arch"]) ?? "x86_64", cacheDir, filelists: flag(args.values["filelists"]) })
    const t1 = performance.now()
    for (const g of strs(args.values["exclude"])) for (const s of selectGlob(pool, g)) if (!pool.isInstalled(s)) pool.exclude(s)
    // an erase must name something installed, and then forbids every package it names (as
    // libsolv's "erase name X": the repository's copy must not come back as a reinstall)
    const pick = async (spec: string, installedOnly: boolean): Promise<ReturnType<typeof select>> => {
      // a rich capability is parsed; a pool from a snapshot has not loaded the parser
      if (spec.startsWith("(")) await import("../src/solver/rich.js")
      const sel = select(pool, spec)
      const found = installedOnly ? sel.solvables.filter((s) => pool.isInstalled(s)) : sel.solvables
      if (!found.length) await fail("NotFound", installedOnly ? `no installed package matches ${spec}` : `no match for argument: ${spec}`)
      return sel
    }
    const jobs: Job[] = []
    // --best: dnf's best=True — the best candidate or a problem that says why not
    const best = flag(args.values["best"])
    for (const s of installs) jobs.push({ op: "install", what: await pick(s, false), best })
    for (const s of erases) jobs.push({ op: "erase", what: await pick(s, true) })
    for (const s of strs(args.values["lock"])) jobs.push({ op: "lock", what: await pick(s, false) })
    if (upgrade) jobs.push({ op: "upgrade", best })
    // dnf's installonlypkgs: these install beside older versions instead of replacing them
    const installonly = strs(args.values["installonly"])
    for (const cap of installonly.length ? installonly : INSTALLONLY) {
      const solvables = selectProvides(pool, cap)
      if (solvables.length) jobs.push({ op: "multiversion", what: { text: cap, how: "provides", solvables } })
    }
    if (dsync) jobs.push({ op: "distupgrade" })
    // dnf remove lets dependent packages go with what is removed; --allowerasing lets conflicts do
    // so; dnf keeps multiversion packages' explicit obsoletes
    const r = solve(pool, { jobs, allowUninstall: erases.length > 0 || flag(args.values["allowerasing"]), ignoreRecommends: flag(args.values["no-recommends"]), keepExplicitObsoletes: true })
    const t2 = performance.now()
    save()
    const t3 = performance.now()
    const nevra = (s: number) => pool.nevra(s)
    // one pass over the steps (a filter per kind cost a callback per step and kind, cold)
    const install: string[] = []
    const reinstall: string[] = []
    const erase: string[] = []
    const moved: Record<"upgrade" | "downgrade" | "obsolete", Array<{ from: string; to: string }>> = { upgrade: [], downgrade: [], obsolete: [] }
    for (const s of r.transaction.steps) {
      if (s.kind === "install") install.push(nevra(s.pkg))
      else if (s.kind === "reinstall") reinstall.push(nevra(s.pkg))
      else if (s.kind === "erase") erase.push(nevra(s.pkg))
      else moved[s.kind].push({ from: nevra(s.pkg), to: nevra(s.by!) })
    }
    const report: SolveReport = {
      ok: r.ok,
      install,
      weak: r.weak.map(nevra),
      upgrade: moved.upgrade,
      downgrade: moved.downgrade,
      reinstall,
      obsolete: moved.obsolete,
      erase,
      problems: r.problems.map((p) => ({ summary: p.summary, rules: p.rules, solutions: p.solutions.map((x) => x.text) })),
      stats: { source, loadMs: Math.round(t1 - t0), solveMs: Math.round(t2 - t1), saveMs: Math.round(t3 - t2), packages: pool.count - 1, ...r.stats },
    }
    for (const l of [report.install, report.weak, report.reinstall, report.erase]) l.sort()
    const text = flag(args.values["json"]) ? JSON.stringify(report, null, 2) : render(report)
    return r.ok ? text : { stdout: `${text}\n`, exitCode: 1 }
  },
}
