/**
 * `npm run bench:solve` — dependency resolution on a large real graph, strata vs libsolv, same
 * input, same run, whole processes, median of --runs after a warm-up.
 *
 * The graph: Debian bookworm's Packages index (/var/lib/apt/lists, after `apt-get update`),
 * converted into an rpm-md repository: Depends/Pre-Depends → requires (`a | b` → the rich
 * `(a or b)`), Provides → provides, Conflicts/Breaks → conflicts, amd64 → x86_64, all → noarch,
 * epoch:version-revision → EVR. rpm lets an unversioned provide satisfy a versioned requirement;
 * Debian does not. So that the graph keeps Debian's meaning, unversioned virtual provides become
 * `virtual(name)`, and an unversioned dependency on such a name becomes `(name or virtual(name))`
 * (a conflict lists both); versioned dependencies keep matching the real package and versioned
 * provides only, as in Debian.
 *
 * The job: install gnome-core, kde-plasma-desktop, task-gnome-desktop and texlive-full on an
 * empty system.
 *  - cold: `repo2solv` + `testsolv` from the XML  vs  `strata pkg solve` with empty caches
 *  - warm: `testsolv` on a prepared .solv          vs  `strata pkg solve` from its caches
 * Both answers are checked by strata's independent checker (src/solver/verify.ts).
 *
 * Usage: node dist/bench/solve.js [--runs=N] [--packages=FILE]
 */
import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

const root = fileURLToPath(new URL("../../", import.meta.url))
const argv = process.argv.slice(2)
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const runs = Number(option("runs") ?? 3)
const work = join(root, ".bench", "solve")
const strataBin = join(root, "bin", "strata.js")
const JOB = ["gnome-core", "kde-plasma-desktop", "task-gnome-desktop", "texlive-full"]

// ---- Debian Packages → rpm-md ----------------------------------------------------------------

interface DebDep {
  name: string
  op?: string
  version?: string
}

const OPS: Record<string, string> = { "<<": "LT", "<=": "LE", "=": "EQ", ">=": "GE", ">>": "GT", "<": "LE", ">": "GE" }
const RICH_OPS: Record<string, string> = { LT: "<", LE: "<=", EQ: "=", GE: ">=", GT: ">" }

const parseAlt = (s: string): DebDep => {
  const m = /^\s*([^\s(:]+)(?::\S+)?\s*(?:\(\s*(<<|<=|=|>=|>>|<|>)\s*([^)\s]+)\s*\))?\s*$/.exec(s)
  if (!m) throw new Error(`unparsable dependency "${s}"`)
  return m[2] ? { name: m[1]!, op: OPS[m[2]]!, version: m[3]! } : { name: m[1]! }
}

/** "a (>= 1) | b, c" → groups of alternatives. */
const parseDeps = (field: string | undefined): DebDep[][] =>
  field ? field.split(",").map((g) => g.trim()).filter(Boolean).map((g) => g.split("|").map(parseAlt)) : []

/** Debian's [epoch:]upstream[-revision] → rpm-md's epoch, ver, rel. */
const splitVersion = (v: string): { epoch: string; ver: string; rel?: string } => {
  const colon = /^(\d+):/.exec(v)
  const epoch = colon ? colon[1]! : "0"
  const rest = colon ? v.slice(colon[0].length) : v
  const dash = rest.lastIndexOf("-")
  return dash > 0 ? { epoch, ver: rest.slice(0, dash), rel: rest.slice(dash + 1) } : { epoch, ver: rest }
}

const xml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const entry = (d: DebDep): string => {
  if (!d.op) return `<rpm:entry name="${xml(d.name)}"/>`
  const v = splitVersion(d.version!)
  return `<rpm:entry name="${xml(d.name)}" flags="${d.op}" epoch="${v.epoch}" ver="${xml(v.ver)}"${v.rel !== undefined ? ` rel="${xml(v.rel)}"` : ""}/>`
}

const richText = (d: DebDep): string => (d.op ? `${d.name} ${RICH_OPS[d.op]} ${d.version}` : d.name)

const group = (alts: DebDep[]): string => (alts.length === 1 ? entry(alts[0]!) : `<rpm:entry name="${xml(`(${alts.map(richText).join(" or ")})`)}"/>`)

interface Stanza {
  [field: string]: string
}

const stanzas = (text: string): Stanza[] => {
  const out: Stanza[] = []
  for (const block of text.split(/\n\n+/)) {
    if (!block.trim()) continue
    const s: Stanza = {}
    let last = ""
    for (const line of block.split("\n")) {
      if (line.startsWith(" ") || line.startsWith("\t")) {
        if (last) s[last] += `\n${line}`
        continue
      }
      const c = line.indexOf(":")
      if (c < 0) continue
      last = line.slice(0, c)
      s[last] = line.slice(c + 1).trim()
    }
    out.push(s)
  }
  return out
}

export const convertDebian = (packagesText: string, dir: string): number => {
  const list = stanzas(packagesText).filter((s) => s["Package"] && s["Version"])
  const virtual = new Set<string>()
  const real = new Set<string>()
  for (const s of list) {
    real.add(s["Package"]!)
    for (const g of parseDeps(s["Provides"])) if (!g[0]!.op) virtual.add(g[0]!.name)
    for (const g of parseDeps(s["Provides"])) if (g[0]!.op) real.add(g[0]!.name)
  }
  const V = (n: string): string => `virtual(${n})`
  // an unversioned dependency on a name some package provides unversioned: either kind satisfies it
  const alts = (d: DebDep): DebDep[] => (d.op || !virtual.has(d.name) ? [d] : real.has(d.name) ? [d, { name: V(d.name) }] : [{ name: V(d.name) }])
  const parts = [`<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${list.length}">\n`]
  for (const s of list) {
    const name = s["Package"]!
    const v = splitVersion(s["Version"]!)
    const arch = s["Architecture"] === "all" ? "noarch" : s["Architecture"] === "amd64" ? "x86_64" : s["Architecture"]!
    const requires = [...parseDeps(s["Pre-Depends"]), ...parseDeps(s["Depends"])].map((g) => g.flatMap(alts))
    const provides = parseDeps(s["Provides"]).map((g) => (g[0]!.op ? g[0]! : { name: V(g[0]!.name) }))
    const conflicts = [...parseDeps(s["Conflicts"]), ...parseDeps(s["Breaks"])].flatMap((g) => alts(g[0]!))
    const sum = createHash("sha256").update(`${name} ${s["Version"]} ${arch}`).digest("hex")
    const dep = (tag: string, body: string[]): string => (body.length ? `<rpm:${tag}>${body.join("")}</rpm:${tag}>` : "")
    parts.push(
      `<package type="rpm"><name>${xml(name)}</name><arch>${arch}</arch><version epoch="${v.epoch}" ver="${xml(v.ver)}" rel="${xml(v.rel ?? "0")}"/>` +
        `<checksum type="sha256" pkgid="YES">${sum}</checksum><summary>${xml((s["Description"] ?? "").split("\n")[0]!)}</summary>` +
        `<location href="${xml(s["Filename"] ?? `${name}.deb`)}"/><format>` +
        dep("provides", [`<rpm:entry name="${xml(name)}" flags="EQ" epoch="${v.epoch}" ver="${xml(v.ver)}" rel="${xml(v.rel ?? "0")}"/>`, ...provides.map(entry)]) +
        dep("requires", requires.map(group)) +
        dep("conflicts", conflicts.map(entry)) +
        `</format></package>\n`,
    )
  }
  parts.push("</metadata>\n")
  const body = Buffer.from(parts.join(""))
  const gz = gzipSync(body, { level: 6 })
  const sum = createHash("sha256").update(gz).digest("hex")
  const open = createHash("sha256").update(body).digest("hex")
  rmSync(join(dir, "repodata"), { recursive: true, force: true })
  mkdirSync(join(dir, "repodata"), { recursive: true })
  writeFileSync(join(dir, "repodata", `${sum}-primary.xml.gz`), gz)
  writeFileSync(
    join(dir, "repodata", "repomd.xml"),
    `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm"><revision>1</revision><data type="primary"><checksum type="sha256">${sum}</checksum><open-checksum type="sha256">${open}</open-checksum><location href="repodata/${sum}-primary.xml.gz"/><timestamp>1700000000</timestamp><size>${gz.length}</size><open-size>${body.length}</open-size></data></repomd>\n`,
  )
  return list.length
}

const findPackagesIndex = (): string => {
  const given = option("packages")
  if (given) return given
  const dir = "/var/lib/apt/lists"
  const f = existsSync(dir) ? readdirSync(dir).find((n) => /dists_bookworm_main_binary-amd64_Packages(\.lz4|\.gz|\.xz)?$/.test(n)) : undefined
  if (!f) throw new Error("no bookworm Packages index in /var/lib/apt/lists: run apt-get update (or pass --packages=FILE)")
  return join(dir, f)
}

const readIndex = (path: string): string =>
  path.endsWith(".lz4") ? execFileSync("lz4cat", [path], { maxBuffer: 1 << 30, encoding: "utf8" }) :
  path.endsWith(".gz") ? execFileSync("zcat", [path], { maxBuffer: 1 << 30, encoding: "utf8" }) :
  path.endsWith(".xz") ? execFileSync("xzcat", [path], { maxBuffer: 1 << 30, encoding: "utf8" }) : readFileSync(path, "utf8")

// ---- timing ----------------------------------------------------------------------------------

const run = (cmd: string, args: string[], opts: { before?: () => void } = {}): { s: number; out: string } => {
  opts.before?.()
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] })
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.status !== 0 && !(cmd === process.execPath && r.status === 1)) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr.slice(-2000)}`)
  return { s, out: r.stdout }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Alternating runs after one untimed warm-up each; medians and the last outputs. */
const compare = (a: () => { s: number; out: string }, b: () => { s: number; out: string }): [number, number, string, string] => {
  let oa = a().out
  let ob = b().out
  const ta: number[] = []
  const tb: number[] = []
  for (let i = 0; i < runs; i++) {
    const x = a()
    const y = b()
    ta.push(x.s)
    tb.push(y.s)
    oa = x.out
    ob = y.out
  }
  return [median(ta), median(tb), oa, ob]
}

const row = (name: string, ref: number, ours: number, target: number) =>
  console.log(`${name.padEnd(40)} libsolv ${ref.toFixed(3).padStart(6)} s  strata ${ours.toFixed(3).padStart(6)} s  ratio ${(ours / ref).toFixed(2)}  (target ≤ ${target.toFixed(1)}) ${ours / ref <= target ? "ok" : "OVER"}`)

const testcase = (solv: string): string =>
  [`repo system 0 empty`, `repo available 0 solv ${solv}`, `system x86_64 rpm system`, `poolflags implicitobsoleteusescolors`, ...JOB.map((j) => `job install name ${j}`), `result transaction,problems <inline>`, ""].join("\n")

/** Judges a solver's answer (NEVRAs to install) with the independent checker over the repository's own records. */
const judge = async (repoDir: string, nevras: ReadonlyArray<string>): Promise<string[]> => {
  const [{ loadRepo }, { nevraOfMd, mdDep }, { checkSolution }] = await Promise.all([
    import("../src/io/rpm/repo-metadata.js"), import("../src/io/rpm/query.js"), import("../src/solver/verify.js"),
  ])
  const repo = { id: "bench", name: "bench", enabled: true, baseurl: [`file://${repoDir}`], metalink: undefined, mirrorlist: undefined, gpgcheck: false, repoGpgcheck: false, gpgkey: [], metadataExpire: 0, excludepkgs: [], includepkgs: [], priority: 99, skipIfUnavailable: false, file: "" }
  const byNevra = new Map((await loadRepo({ repo })).packages.map((p) => [nevraOfMd(p), p]))
  const chosen = nevras.map((n) => {
    const p = byNevra.get(n)
    if (!p) throw new Error(`answer names ${n}, which the repository does not have`)
    return { name: p.name, epoch: p.epoch, version: p.version, release: p.release, arch: p.arch, provides: p.provides.map(mdDep), requires: p.requires.map(mdDep), conflicts: p.conflicts.map(mdDep), obsoletes: p.obsoletes.map(mdDep), files: p.files }
  })
  const missing = JOB.filter((j) => !chosen.some((p) => p.name === j))
  return [...missing.map((j) => `requested ${j} is not installed`), ...checkSolution(chosen)]
}

const main = async () => {
  mkdirSync(work, { recursive: true })
  const repo = join(work, "debian-repo")
  const index = findPackagesIndex()
  const stamp = join(repo, ".source")
  const source = `${index} v2`
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== source) {
    console.log(`converting ${index} to rpm-md…`)
    const n = convertDebian(readIndex(index), repo)
    writeFileSync(stamp, source)
    console.log(`  ${n} packages`)
  }
  const warmSolv = join(work, "warm.solv")
  execFileSync("repo2solv", ["-o", warmSolv, repo])
  // testsolv reads repository files relative to the test case
  writeFileSync(join(work, "warm.t"), testcase("warm.solv"))
  writeFileSync(join(work, "cold.t"), testcase("cold.solv"))
  const strataArgs = (cache: string) => [strataBin, "pkg", "solve", "--repo-dir", repo, ...JOB.flatMap((j) => ["--install", j]), "--cache-dir", cache, "--json"]
  const coldCache = join(work, "cold-cache")
  const warmCache = join(work, "warm-cache")
  rmSync(warmCache, { recursive: true, force: true })
  run(process.execPath, strataArgs(warmCache))

  console.log(`\nbench:solve on ${process.version}: install ${JOB.join(", ")} on an empty system (${runs} runs, median)`)
  const [refCold, oursCold, libsolvOut, strataOut] = compare(
    () => run("sh", ["-c", `repo2solv -o ${join(work, "cold.solv")} ${repo} && testsolv -r ${join(work, "cold.t")}`], { before: () => rmSync(join(work, "cold.solv"), { force: true }) }),
    () => run(process.execPath, strataArgs(coldCache), { before: () => rmSync(coldCache, { recursive: true, force: true }) }),
  )
  row("cold: repo2solv + testsolv vs XML", refCold, oursCold, 1.0)
  const [refWarm, oursWarm] = compare(() => run("testsolv", ["-r", join(work, "warm.t")]), () => run(process.execPath, strataArgs(warmCache)))
  row("warm: testsolv on .solv vs snapshot", refWarm, oursWarm, 1.5)

  const libsolvInstalls = libsolvOut.split("\n").filter((l) => l.startsWith("install ")).map((l) => l.slice(8).replace(/@.*$/, ""))
  const libsolvProblems = libsolvOut.split("\n").filter((l) => / info /.test(l))
  const report = JSON.parse(strataOut) as { install: string[]; problems: unknown[]; stats: Record<string, unknown> }
  console.log(`\npackages installed: libsolv ${libsolvInstalls.length}${libsolvProblems.length ? ` (${libsolvProblems.length} problems)` : ""}, strata ${report.install.length}${report.problems.length ? ` (${report.problems.length} problems)` : ""}  ${report.install.length <= libsolvInstalls.length ? "ok" : "MORE THAN LIBSOLV"}`)
  const common = new Set(libsolvInstalls.filter((n) => report.install.includes(n)))
  console.log(`  in both: ${common.size}; only libsolv: ${libsolvInstalls.length - common.size}; only strata: ${report.install.length - common.size}`)
  for (const [who, nevras] of [["libsolv", libsolvInstalls], ["strata", report.install]] as const) {
    const v = await judge(repo, nevras)
    console.log(`  ${who}'s solution: ${v.length ? `INVALID (${v.length} violations, e.g. ${v.slice(0, 3).join("; ")})` : "valid (every requirement met, no conflicts)"}`)
  }
  console.log(`  strata stats: ${JSON.stringify(report.stats)}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
