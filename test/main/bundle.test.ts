/**
 * bin/strata.js and the bundled CLI (scripts/bundle.mjs): the launcher never runs a bundle older
 * than tsc's output, and the bundle behaves as dist/ does, with and without its code cache —
 * per-command bundles, help (every command), import.meta.url-relative files (package.json, the
 * manifest), native packages, and the worker-thread pools, whose entry files stay in dist/.
 */
import t, { type Test } from "tap"
import { spawnSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { writeRpmMd } from "../solver/oracle-io.js"
import { rpmFixtures } from "../io/rpm-fixtures.js"

const root = process.cwd()
const node = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 26 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

t.test("the launcher runs the bundle only while its stamp matches dist/cli/main.js", async (t) => {
  // a fake checkout: the real launcher, a dist/ and a bundle that each say who they are
  const dir = tmp(t)
  mkdirSync(join(dir, "bin"))
  for (const f of ["strata.js", "package.json"]) copyFileSync(join(root, "bin", f), join(dir, "bin", f))
  const bin = join(dir, "bin", "strata.js")
  const missing = node([bin, "status"])
  t.equal(missing.status, 70, "nothing built: exit 70")
  t.match(missing.stderr, /not built yet; run `npm install`/, "with what to do")
  mkdirSync(join(dir, "dist", "cli"), { recursive: true })
  mkdirSync(join(dir, "dist", "bundle"))
  const who = (name: string) => `export const run = async () => { process.stdout.write(${JSON.stringify(name)} + " " + process.argv.slice(2).join(" ")) }\n`
  const main = join(dir, "dist", "cli", "main.js")
  writeFileSync(main, who("dist"))
  // the bundle's main.cjs gets the command loader; it only says who it is
  writeFileSync(join(dir, "dist", "bundle", "main.cjs"), `exports.run = () => { process.stdout.write("bundle " + process.argv.slice(2).join(" ")) }\n`)
  t.equal(node([bin, "status", "-v"]).stdout, "dist status -v", "no stamp: dist/")
  const stamp = join(dir, "dist", "bundle", "stamp")
  writeFileSync(stamp, `${statSync(main).mtimeMs}\nb1`)
  t.equal(node([bin, "status", "-v"]).stdout, "bundle status -v", "a matching stamp: the bundle, with the arguments")
  t.equal(node([bin, "status"], { STRATA_NO_BUNDLE: "1" }).stdout, "dist status", "STRATA_NO_BUNDLE=1: dist/")
  // what `npx tsc -p .` does after a bundle: rewrites main.js (a newer mtime)
  const later = new Date(statSync(main).mtimeMs + 5000)
  utimesSync(main, later, later)
  t.equal(node([bin, "status"]).stdout, "dist status", "main.js rewritten since the bundle: dist/, not the stale bundle")
  writeFileSync(stamp, `${statSync(main).mtimeMs}\nb2`)
  t.equal(node([bin, "status"]).stdout, "bundle status", "bundled again: the bundle")
})

let esbuild = true
try {
  await import("esbuild")
} catch {
  esbuild = false
}

t.test("the bundle runs commands as dist/ does", { skip: esbuild ? false : "esbuild is not installed" }, async (t) => {
  const dir = tmp(t)
  // a checkout of its own inside this one (external packages resolve from node_modules): the
  // real launcher, dist/cli and dist/src linked, and a bundle made for it
  const fake = join(root, "dist", `.bundle-test-${process.pid}`)
  t.teardown(() => rmSync(fake, { recursive: true, force: true }))
  mkdirSync(join(fake, "bin"), { recursive: true })
  mkdirSync(join(fake, "dist"))
  for (const f of ["strata.js", "package.json"]) copyFileSync(join(root, "bin", f), join(fake, "bin", f))
  for (const d of ["cli", "src"]) symlinkSync(join(root, "dist", d), join(fake, "dist", d))
  const out = join(fake, "dist", "bundle")
  const built = node([join(root, "scripts", "bundle.mjs"), `--out=${out}`])
  t.equal(built.status, 0, `bundle.mjs exits 0 ${built.stderr}`)
  t.ok(existsSync(join(out, "stamp")), "and writes its stamp last")
  const bundled = join(fake, "bin", "strata.js")
  const both = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => ({
    b: node([bundled, ...args], env),
    d: node([bundled, ...args], { ...env, STRATA_NO_BUNDLE: "1" }),
  })
  const same = (t: Test, args: ReadonlyArray<string>, what: string, env: Record<string, string> = {}) => {
    const { b, d } = both(args, env)
    t.equal(b.status, d.status, `${what}: same exit code (${b.status}) ${b.stderr.trim().split("\n").slice(-2).join(" / ")}`)
    t.equal(b.stdout, d.stdout, `${what}: same output`)
    t.equal(b.stderr, d.stderr, `${what}: same stderr`)
    return b
  }
  t.match(same(t, ["--version"], "--version").stdout, /^strata \d+\.\d+\.\d+/, "the version, from package.json beside dist/")
  t.match(same(t, ["--help"], "--help").stdout, /repo commit/, "help lists every command")
  t.equal(same(t, ["no-such-command"], "an unknown command").status, 2)
  const build = readFileSync(join(out, "stamp"), "utf8").split("\n")[1]
  t.ok(existsSync(join(out, `main.cjs.${build}.cache`)), "a run leaves a code cache beside the bundle, named after its build id")
  t.match(same(t, ["--version"], "--version, from the code cache").stdout, /^strata /)

  // the solver, cold and warm (each twice: without and with the code cache)
  const repo = join(dir, "repo")
  writeRpmMd(repo, [
    { name: "app", version: "1", release: "1", arch: "x86_64", requires: ["lib >= 2"] },
    { name: "lib", version: "2", release: "1", arch: "x86_64" },
  ])
  const cache = join(dir, "cache")
  for (const pass of ["cold", "warm", "warm again"]) {
    const { b } = both(["pkg", "solve", "--repo-dir", repo, "--install", "app", "--cache-dir", cache, "--json"])
    t.equal(b.status, 0, `pkg solve (${pass}) exits 0 ${b.stderr}`)
    t.same(b.stdout ? JSON.parse(b.stdout).install : undefined, ["app-1-1.x86_64", "lib-2-1.x86_64"], `pkg solve (${pass}) installs app and lib`)
  }
  same(t, ["pkg", "solve", "--repo-dir", repo, "--install", "nothing-provides-this"], "a solve with no match")

  // modules that declare `const require = createRequire(import.meta.url)` (xz metadata through
  // lzma-native), a lazily imported external package (openpgp), an rpm payload
  const f = rpmFixtures()
  const xz = same(t, ["pkg", "solve", "--repo-dir", f.repo("xz"), "--install", "strata-tools", "--no-cache"], "a solve over xz metadata")
  t.match(xz.stdout, /nothing provides \/bin\/sh needed by strata-tools-/, "which names the missing /bin/sh")
  t.equal(same(t, ["pkg", "verify", "--key", f.key, f.signed], "pkg verify with a key (openpgp)").status, 0)
  t.equal(same(t, ["pkg", "contents", "-v", f.basic], "pkg contents").status, 0)

  // a repository: commit and fsck on the worker pools (entry files in dist/), xattrs (a native package)
  const tree = join(dir, "tree")
  mkdirSync(join(tree, "usr", "share"), { recursive: true })
  for (let i = 0; i < 40; i++) writeFileSync(join(tree, "usr", "share", `f${i}`), `file ${i}\n`.repeat(i + 1))
  const pools = { STRATA_WORKERS: "2", STRATA_POOL_MIN_FILES: "1" }
  for (const [name, env] of [["bundle", pools], ["dist", { ...pools, STRATA_NO_BUNDLE: "1" }]] as const) {
    const r = join(dir, `repo-${name}`)
    const run = (args: ReadonlyArray<string>) => node([bundled, ...args], env)
    t.equal(run(["repo", `--repo=${r}`, "init", "--mode=bare-user"]).status, 0, `${name}: repo init`)
    const c = run(["repo", `--repo=${r}`, "commit", "-b", "t", `--tree=dir=${tree}`, "-s", "x", "--timestamp=2024-01-01T00:00:00Z"])
    t.equal(c.status, 0, `${name}: repo commit on the worker pool ${c.stderr}`)
    const f = run(["repo", `--repo=${r}`, "fsck"])
    t.equal(f.status, 0, `${name}: repo fsck on the worker pool ${f.stderr}`)
  }
  const rev = (name: string) => node([bundled, "repo", `--repo=${join(dir, `repo-${name}`)}`, "rev-parse", "t"]).stdout
  t.equal(rev("bundle"), rev("dist"), "the same commit checksum from the bundle and from dist/")
})
