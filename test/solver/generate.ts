/**
 * Random package universes for oracle tests: a seeded generator of repositories (names with
 * several versions, virtual provides, versioned and rich requirements, conflicts, obsoletes,
 * recommends, the odd i686 build), an installed set drawn from them, and a job (install a few
 * names, erase an installed one, or update everything).
 */
import type { CaseFile, CasePackage, CaseRun } from "./libsolv-case.js"

export const rng = (seed: number) => {
  let s = seed >>> 0 || 1
  const next = (): number => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s
  }
  const int = (n: number): number => next() % n
  return { int, pick: <T>(a: ReadonlyArray<T>): T => a[int(a.length)]!, chance: (p: number): boolean => next() % 1000 < p * 1000 }
}

export interface Universe {
  readonly file: CaseFile
  readonly run: CaseRun
  /** The job as `strata pkg solve` / dnf arguments (names only). */
  readonly cli: { install: string[]; erase: string[]; upgrade: boolean }
}

export const generate = (seed: number, { installed = true, rich = true, size = 24 }: { installed?: boolean; rich?: boolean; size?: number } = {}): Universe => {
  const r = rng(seed)
  const nNames = 6 + r.int(size)
  const names = Array.from({ length: nNames }, (_, i) => `p${i}`)
  const virtuals = Array.from({ length: 2 + r.int(4) }, (_, i) => `v${i}`)
  const pkgs: CasePackage[] = []
  const versions = new Map<string, number[]>()
  for (const n of names) {
    const vs = Array.from({ length: 1 + r.int(3) }, (_, k) => k + 1)
    versions.set(n, vs)
    for (const v of vs) pkgs.push({ name: n, version: `${v}.0`, release: "1", arch: r.chance(0.1) ? "x86_64" : "noarch" })
  }
  const dep = (): string => {
    if (r.chance(0.25)) return r.pick(virtuals)
    const n = r.pick(names)
    if (r.chance(0.3)) return `${n} ${r.pick([">=", "<", "="])} ${r.pick(versions.get(n)!)}.0`
    return n
  }
  for (const p of pkgs) {
    if (r.chance(0.25)) (p.provides ??= []).push(r.chance(0.5) ? r.pick(virtuals) : `${r.pick(virtuals)} = ${p.version}`)
    const nreq = r.int(3)
    for (let k = 0; k < nreq; k++) {
      let d = dep()
      if (d.startsWith(p.name + " ") || d === p.name) continue
      if (rich && r.chance(0.15)) d = r.chance(0.5) ? `(${dep()} or ${dep()})` : `(${dep()} if ${dep()})`
      ;(p.requires ??= []).push(d)
    }
    if (r.chance(0.12)) (p.conflicts ??= []).push(dep())
    if (r.chance(0.06)) (p.obsoletes ??= []).push(r.pick(names.filter((x) => x !== p.name)))
    if (r.chance(0.1)) (p.recommends ??= []).push(dep())
  }
  // an i686 sibling for a few arch packages: multilib must not be pulled in by accident
  for (const p of pkgs.filter((x) => x.arch === "x86_64").slice(0, 2)) pkgs.push({ ...p, arch: "i686" })
  const sys: CasePackage[] = []
  if (installed)
    for (const n of names)
      if (r.chance(0.25)) {
        const v = versions.get(n)![0]!
        const orig = pkgs.find((p) => p.name === n && p.version === `${v}.0`)!
        sys.push({ ...orig })
      }
  const cli = { install: [] as string[], erase: [] as string[], upgrade: false }
  const jobs: string[] = []
  const kind = r.int(10)
  if (kind < 6 || !sys.length) {
    for (let k = 0; k < 1 + r.int(3); k++) {
      const n = r.pick(names)
      if (!cli.install.includes(n)) cli.install.push(n)
    }
    jobs.push(...cli.install.map((n) => `install name ${n}`))
  } else if (kind < 8) {
    const n = r.pick(sys).name
    cli.erase.push(n)
    jobs.push(`erase name ${n}`)
  } else {
    cli.upgrade = true
    jobs.push("update all packages")
  }
  const file: CaseFile = {
    source: `generated #${seed}`, arch: "x86_64", disttype: "rpm", installed: "system", poolflags: ["implicitobsoleteusescolors"],
    repos: [{ name: "system", priority: 0, packages: sys }, { name: "available", priority: 0, packages: pkgs }],
    runs: [],
  }
  const run: CaseRun = { solverflags: cli.erase.length ? ["allowuninstall"] : [], jobs, result: { kinds: ["transaction", "problems"], lines: [] } }
  file.runs.push(run)
  return { file, run, cli }
}
