/**
 * `npm run bench:layer` — client-side layering against the reference tools, whole processes, on
 * the benchmark base image: the fixture distribution's base (fixtures/distro, composed by
 * `strata compose tree`) with the store benchmark's OS tree (bench/make-tree.sh → .bench/tree)
 * under /usr/share/bench-payload, so checkout, commit and deploy move a real tree's worth of files.
 *
 *   layer 1 / layer 10   wall time until the new deployment is ready to boot:
 *                        `strata install PKG…` vs the same by hand with the reference tools —
 *                        `ostree checkout -H` of the base, `dnf --installroot install PKG…` into it,
 *                        its /etc moved into /usr/etc, `ostree commit --link-checkout-speedup`,
 *                        `ostree admin deploy`
 *   compose              `strata compose tree` of the fixture treefile with an empty (cold) and a
 *                        filled (warm) package cache, each into a fresh repo
 *
 * Each run starts from a fresh sysroot with the base deployed by the tool under test (untimed,
 * `sync`ed: `ostree pull-local` + `ostree admin deploy`, resp. the same strata commands); median of
 * `--runs`. Nothing is asserted; targets are printed next to the ratios.
 * Usage: node dist/bench/layer.js [--runs=N] [--quick] [--tree=DIR] [--keep]
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { benchCompose } from "./compose.js"

const root = fileURLToPath(new URL("../../", import.meta.url))
const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const quick = process.argv.includes("--quick")
const runs = Number(option("runs") ?? (quick ? 1 : 3))
const tree = option("tree") ?? join(root, ".bench", quick ? "tree-small" : "tree")
const work = join(root, ".bench", "layer")
const distro = join(root, "fixtures", "distro", ".build")
const strataBin = join(root, "bin", "strata.js")
const OS = "fixture"
const BASE_REF = "bench/base"

const fatal = (msg: string): never => {
  console.error(`bench:layer: ${msg}`)
  process.exit(1)
}
const run = (cmd: ReadonlyArray<string>, env: Record<string, string> = {}): { s: number; out: string } => {
  const t0 = performance.now()
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 28, env: { ...process.env, ...env } })
  const s = (performance.now() - t0) / 1000
  if (r.status !== 0) fatal(`${cmd.join(" ")} failed (exit ${r.status}): ${(r.stderr || r.stdout || "").trim().split("\n").slice(-3).join(" / ")}`)
  return { s, out: r.stdout }
}
const sh = (cmd: ReadonlyArray<string>, env: Record<string, string> = {}): string => run(cmd, env).out
const time = (cmds: ReadonlyArray<ReadonlyArray<string>>, env: Record<string, string> = {}): number => cmds.reduce((s, c) => s + run(c, env).s, 0)
const strata = (...args: string[]): string[] => [process.execPath, strataBin, ...args]
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const unseal = (dir: string): void => void spawnSync("sh", ["-c", `find '${dir}' -maxdepth 6 -path '*/ostree/deploy/*/deploy/*' -type d -prune -exec chattr -i {} + 2>/dev/null`])

if (process.getuid?.() !== 0) fatal("needs root (bare repos keep ownership; deployments are chattr +i)")
for (const tool of ["ostree", "dnf", "rpmbuild", "createrepo_c", "bwrap"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) fatal(`${tool} is missing: apt-get install -y ostree dnf rpm createrepo-c bubblewrap busybox-static`)
}
if (!existsSync(`${tree}.complete`) && !option("tree")) {
  if (quick) fatal(`no ${tree}: run \`npm run bench:store -- --quick\` once (it copies it from the OS tree)`)
  console.log("building the OS tree with bench/make-tree.sh (once)…")
  if (spawnSync("bash", [join(root, "bench", "make-tree.sh"), tree], { stdio: "inherit", cwd: root }).status !== 0) fatal("bench/make-tree.sh failed")
}
if (!existsSync(tree)) fatal(`no tree at ${tree}`)
sh(["bash", join(root, "fixtures", "distro", "build.sh"), distro])

unseal(work)
rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })

const [l1, l5] = loadavg()
console.log(`bench:layer  base = fixture distribution + ${tree} (${sh(["sh", "-c", `find '${tree}' | wc -l`]).trim()} entries, ${sh(["du", "-sm", tree]).split("\t")[0]} MB)`)
console.log(`${sh(["ostree", "--version"]).match(/Version: '?([^'\n]+)/)?.[1] ?? "ostree ?"}, ${sh(["dnf", "--version"]).split("\n")[0]} vs strata, node ${process.version}, ${availableParallelism()} CPUs, load ${l1!.toFixed(1)}/${l5!.toFixed(1)}`)
console.log("")
console.log(["operation", "reference", "strata", "ratio", "target"].join("  |  "))
const row = (name: string, ref: number | undefined, mine: number, target: string): void => {
  console.log([name, ref !== undefined ? `${ref.toFixed(3)} s` : "-", `${mine.toFixed(3)} s`, ref !== undefined ? (mine / ref).toFixed(2) : "-", target].join("  |  "))
}

// compose (bench/compose.ts): cold (empty cache) and warm (a filled one), each into a fresh repo.
const c = benchCompose({ runs, distroDir: distro })
row("compose fixture treefile, cold cache", undefined, c.coldSec, "-")
row("compose fixture treefile, warm cache", undefined, c.warmSec, `warm/cold ${(c.warmSec / c.coldSec).toFixed(2)}`)
row("compose fixture treefile, unchanged (no-op)", undefined, c.noopSec, "-")

// The benchmark base image: the composed base plus the OS tree, and the fixture repository
// configured in its /etc (layering reads the deployment's /etc/yum.repos.d).
const composed = join(work, "compose")
sh(strata("repo", "init", `--repo=${composed}`, "--mode=archive"))
sh(strata("compose", "tree", join(distro, "compose", "1", "fixture.yaml"), `--repo=${composed}`, `--cachedir=${join(work, "compose-cache")}`))
const baseTree = join(work, "base-tree")
sh(["ostree", `--repo=${composed}`, "checkout", "strata/fixture/x86_64/base", baseTree])
cpSync(tree, join(baseTree, "usr", "share", "bench-payload"), { recursive: true, verbatimSymlinks: true })
mkdirSync(join(baseTree, "usr", "etc", "yum.repos.d"), { recursive: true })
cpSync(join(distro, "compose", "1", "fixture.repo"), join(baseTree, "usr", "etc", "yum.repos.d", "fixture.repo"))
const baseRepo = join(work, "base-repo")
sh(["ostree", `--repo=${baseRepo}`, "init", "--mode=archive"])
sh(["ostree", `--repo=${baseRepo}`, "commit", "-b", BASE_REF, `--tree=dir=${baseTree}`, "-s", "bench base", "--add-metadata-string=version=bench.1"])
rmSync(baseTree, { recursive: true, force: true })

/** A fresh sysroot with the base image deployed, each by the tool under test (as its users have it). */
const freshSysroot = (name: string, tool: "ostree" | "strata"): string => {
  const S = join(work, name)
  unseal(S)
  rmSync(S, { recursive: true, force: true })
  mkdirSync(S, { recursive: true })
  if (tool === "ostree") {
    sh(["ostree", "admin", "init-fs", S])
    sh(["ostree", "admin", "os-init", OS, `--sysroot=${S}`])
    sh(["ostree", `--repo=${S}/ostree/repo`, "pull-local", baseRepo, BASE_REF])
    sh(["ostree", "admin", "deploy", `--sysroot=${S}`, `--os=${OS}`, "--karg=root=/dev/vda1", BASE_REF])
  } else {
    sh(strata("admin", "init-fs", S))
    sh(strata("admin", "os-init", OS, "--sysroot", S))
    sh(strata("repo", `--repo=${S}/ostree/repo`, "pull-local", baseRepo, BASE_REF))
    sh(strata("admin", "deploy", "--sysroot", S, `--os=${OS}`, "--karg=root=/dev/vda1", BASE_REF))
  }
  sh(["sync"])
  return S
}

// dnf keeps its rpmdb where the host's rpm macros say (Debian: ~/.rpmdb); the image's is /usr/share/rpm.
const home = join(work, "home")
mkdirSync(home, { recursive: true })
writeFileSync(join(home, ".rpmmacros"), "%_dbpath /usr/share/rpm\n")

const reference = (S: string, pkgs: ReadonlyArray<string>): number => {
  const dir = join(S, "layered-tree")
  const repo = `--repo=${S}/ostree/repo`
  return time(
    [
      ["ostree", repo, "checkout", "-H", BASE_REF, dir],
      ["dnf", "-q", "-y", `--installroot=${dir}`, `--setopt=reposdir=${join(distro, "compose", "1")}`, "--releasever=1", "--setopt=install_weak_deps=False", "--disableplugin=*", "--nogpgcheck", "install", ...pkgs],
      // what the packages put in /etc belongs in /usr/etc in an OSTree commit
      ["sh", "-c", `cd '${dir}' && if [ -d etc ]; then cp -a etc/. usr/etc/ && rm -rf etc; fi`],
      ["ostree", repo, "commit", "-b", "layered", `--tree=dir=${dir}`, "--link-checkout-speedup", "-s", "layered"],
      ["ostree", "admin", "deploy", `--sysroot=${S}`, `--os=${OS}`, "layered"],
    ],
    { HOME: home },
  )
}
const mine = (S: string, pkgs: ReadonlyArray<string>): number => time([strata("install", "--sysroot", S, ...pkgs)])

for (const [label, pkgs] of [
  ["layer 1 package", ["layer-01"]],
  ["layer 10 packages", Array.from({ length: 10 }, (_, i) => `layer-${String(i + 1).padStart(2, "0")}`)],
] as const) {
  const ref: number[] = []
  const ours: number[] = []
  for (let i = 0; i < runs; i++) {
    ref.push(reference(freshSysroot("ref", "ostree"), pkgs))
    ours.push(mine(freshSysroot("strata", "strata"), pkgs))
    const listed = sh(strata("status", "--sysroot", join(work, "strata")))
    for (const p of pkgs) if (!listed.includes(p)) fatal(`after strata install, status does not list ${p}`)
  }
  row(label, median(ref), median(ours), "≤ 1.0")
}

if (!process.argv.includes("--keep")) {
  unseal(work)
  rmSync(work, { recursive: true, force: true })
}
