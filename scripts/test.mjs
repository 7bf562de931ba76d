#!/usr/bin/env node
// `npm test`: make sure the reference tools the tests use are installed (installing them when
// root with apt-get, else stopping with the exact command), build, run tap on the compiled tests,
// and print a plain `N passed, N failed` line counted from tap's saved results.
import { spawnSync, execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { Parser } from "tap-parser"
import { ensureTools } from "./os-tools.mjs"

// tool on PATH → Debian package
const tools = {
  ostree: "ostree", rpm: "rpm", rpmbuild: "rpm", createrepo_c: "createrepo-c", testsolv: "libsolv-tools",
  bwrap: "bubblewrap", setfattr: "attr", getfattr: "attr",
  rpm2cpio: "rpm2cpio", cpio: "cpio", gpg: "gnupg", getcap: "libcap2-bin", zstd: "zstd", flock: "util-linux", repo2solv: "libsolv-tools",
  bzip2: "bzip2", // bzip2 rpm payloads
  busybox: "busybox-static", // the fixture distribution's shell (runs scriptlets inside bubblewrap)
  perl: "perl", // the lock helper (OFD locks, as ostree takes them)
}
ensureTools("test", tools)

const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit" }).status ?? 1
// the same build as `npm run build`: the tests spawn bin/strata.js, which runs the bundle
const built = run("npx", ["tsc", "-p", "."]) === 0 && run(process.execPath, ["scripts/cli-manifest.mjs"]) === 0 && run(process.execPath, ["scripts/bundle.mjs"]) === 0
if (!built) { console.log("0 passed, 1 failed"); process.exit(1) }

const files = (process.argv.slice(2).length ? process.argv.slice(2) : walk("dist/test").filter((f) => f.endsWith(".test.js")))
rmSync(".tap/test-results", { recursive: true, force: true })
const status = run("npx", ["tap", ...files])

let pass = 0, fail = 0, skip = 0
for (const f of walk(".tap/test-results").filter((f) => f.endsWith(".tap"))) {
  const counts = await count(readFileSync(f, "utf8"))
  pass += counts.pass; fail += counts.fail; skip += counts.skip
}
if (status !== 0 && fail === 0) fail = 1 // a crashed file with no assertion results still fails the run
const line = `${pass} passed, ${fail} failed${skip ? `, ${skip} skipped` : ""}`
writeFileSync(".test-summary", line + "\n")
console.log(line)
process.exit(status === 0 && fail === 0 ? 0 : 1)

function walk(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? walk(p) : [p]
  })
}

/** Counts leaf assertions: a test point that closes a subtest counts through its children. */
function count(text) {
  return new Promise((resolve) => {
    const totals = { pass: 0, fail: 0, skip: 0 }
    const attach = (parser) => {
      let closesChild = false
      parser.on("child", (child) => { attach(child); closesChild = true })
      parser.on("assert", (res) => {
        if (closesChild || res.buffered) { closesChild = false; return }
        if (res.skip || res.todo) totals.skip++
        else if (res.ok) totals.pass++
        else totals.fail++
      })
    }
    const p = new Parser({ bail: false })
    attach(p)
    p.on("complete", () => resolve(totals))
    p.end(text)
  })
}
