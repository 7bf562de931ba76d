/**
 * bin/strata.js and the bundled CLI (scripts/bundle.mjs): the launcher never runs a bundle older
 * than tsc's output, and the bundle behaves as dist/ does — lazy command loading, help (every
 * command), import.meta.url-relative files (package.json, the manifest), native packages, and
 * the worker-thread pools, whose entry files stay in dist/.
 */
import t, { type Test } from "tap"
import { spawnSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { writeRpmMd } from "../solver/oracle-io.js"

const root = process.cwd()
const node = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 26 })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

t.test("the launcher runs the bundle only while its stamp matches dist/cli/main.js", async (t) => {
  // a fake checkout: the real launcher, a dist/ and a bundle that each say who they are
  const dir = tmp(t)
  mkdirSync(join(dir, "bin"))
  copyFileSync(join(root, "bin", "strata.js"), join(dir, "bin", "strata.js"))
  const bin = join(dir, "bin", "strata.js")
  const missing = node([bin, "status"])
  t.equal(missing.status, 70, "nothing built: exit 70")
  t.match(missing.stderr, /not built yet; run `npm install`/, "with what to do")
  mkdirSync(join(dir, "dist", "cli"), { recursive: true })
  mkdirSync(join(dir, "dist", "bundle"))
  const who = (name: string) => `export const run = async () => { process.stdout.write(${JSON.stringify(name)} + " " + process.argv.slice(2).join(" ")) }\n`
  const main = join(dir, "dist", "cli", "main.js")
  writeFileSync(main, who("dist"))
  writeFileSync(join(dir, "dist", "bundle", "main.js"), who("bundle"))
  t.equal(node([bin, "status", "-v"]).stdout, "dist status -v", "no stamp: dist/")
  const stamp = join(dir, "dist", "bundle", "stamp")
  writeFileSync(stamp, String(statSync(main).mtimeMs))
  t.equal(node([bin, "status", "-v"]).stdout, "bundle status -v", "a matching stamp: the bundle, with the arguments")
  t.equal(node([bin, "status"], { STRATA_NO_BUNDLE: "1" }).stdout, "dist status", "STRATA_NO_BUNDLE=1: dist/")
  // what `npx tsc -p .` does after a bundle: rewrites main.js (a newer mtime)
  const later = new Date(statSync(main).mtimeMs + 5000)
  utimesSync(main, later, later)
  t.equal(node([bin, "status"]).stdout, "dist status", "main.js rewritten since the bundle: dist/, not the stale bundle")
  writeFileSync(stamp, String(statSync(main).mtimeMs))
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
  // inside the checkout, as dist/bundle is: the external packages resolve from node_modules
  const out = join(root, "dist", `.bundle-test-${process.pid}`)
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const built = node([join(root, "scripts", "bundle.mjs"), `--out=${out}`])
  t.equal(built.status, 0, `bundle.mjs exits 0 ${built.stderr}`)
  t.ok(existsSync(join(out, "stamp")), "and writes its stamp last")
  t.ok(readdirSync(out).length < 400, "a bounded number of files")
  // runs the bundle's entry the way bin/strata.js does, and dist/ the same way
  const driver = join(dir, "run.mjs")
  writeFileSync(driver, `await (await import(process.env.ENTRY)).run()\n`)
  const both = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
    const b = node([driver, ...args], { ...env, ENTRY: join(out, "main.js") })
    const d = node([driver, ...args], { ...env, ENTRY: join(root, "dist", "cli", "main.js") })
    return { b, d }
  }
  const same = (t: Test, args: ReadonlyArray<string>, what: string, env: Record<string, string> = {}) => {
    const { b, d } = both(args, env)
    t.equal(b.status, d.status, `${what}: same exit code (${b.status}) ${b.stderr.trim().split("\n").slice(-2).join(" / ")}`)
    t.equal(b.stdout, d.stdout, `${what}: same output`)
    return b
  }
  t.match(same(t, ["--version"], "--version").stdout, /^strata \d+\.\d+\.\d+/, "the version, from package.json beside dist/")
  t.match(same(t, ["--help"], "--help").stdout, /repo commit/, "help lists every command")
  t.equal(same(t, ["no-such-command"], "an unknown command").status, 2)

  // the solver, warm and cold
  const repo = join(dir, "repo")
  writeRpmMd(repo, [
    { name: "app", version: "1", release: "1", arch: "x86_64", requires: ["lib >= 2"] },
    { name: "lib", version: "2", release: "1", arch: "x86_64" },
  ])
  const cache = join(dir, "cache")
  for (const pass of ["cold", "warm"]) {
    const { b } = both(["pkg", "solve", "--repo-dir", repo, "--install", "app", "--cache-dir", cache, "--json"])
    t.equal(b.status, 0, `pkg solve (${pass}) exits 0 ${b.stderr}`)
    t.same(b.stdout ? JSON.parse(b.stdout).install : undefined, ["app-1-1.x86_64", "lib-2-1.x86_64"], `pkg solve (${pass}) installs app and lib`)
  }

  // a repository: commit and fsck on the worker pools (entry files in dist/), xattrs (a native package)
  const tree = join(dir, "tree")
  mkdirSync(join(tree, "usr", "share"), { recursive: true })
  for (let i = 0; i < 40; i++) writeFileSync(join(tree, "usr", "share", `f${i}`), `file ${i}\n`.repeat(i + 1))
  const pools = { STRATA_WORKERS: "2", STRATA_POOL_MIN_FILES: "1" }
  for (const [name, entry] of [["bundle", join(out, "main.js")], ["dist", join(root, "dist", "cli", "main.js")]] as const) {
    const r = join(dir, `repo-${name}`)
    const run = (args: ReadonlyArray<string>) => node([driver, ...args], { ...pools, ENTRY: entry })
    t.equal(run(["repo", `--repo=${r}`, "init", "--mode=bare-user"]).status, 0, `${name}: repo init`)
    const c = run(["repo", `--repo=${r}`, "commit", "-b", "t", `--tree=dir=${tree}`, "-s", "x", "--timestamp=2024-01-01T00:00:00Z"])
    t.equal(c.status, 0, `${name}: repo commit on the worker pool ${c.stderr}`)
    const f = run(["repo", `--repo=${r}`, "fsck"])
    t.equal(f.status, 0, `${name}: repo fsck on the worker pool ${f.stderr}`)
  }
  const rev = (name: string) => node([driver, "repo", `--repo=${join(dir, `repo-${name}`)}`, "rev-parse", "t"], { ENTRY: join(root, "dist", "cli", "main.js") }).stdout
  t.equal(rev("bundle"), rev("dist"), "the same commit checksum from the bundle and from dist/")
})
