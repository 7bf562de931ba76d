#!/usr/bin/env node
// `npm run demo`: the main job on an embedded default, every step a real `strata` command, in a
// scratch area under ./.scratch:
//   a vendor composes base image v1 from the fixture RPM distribution (fixtures/distro) into an
//   archive repo; a scratch sysroot (its event log inside it, ostree/strata/log) deploys it from
//   that repo as a remote; the admin layers a package on top; the vendor composes v2; the admin
//   upgrades (the layer is carried over), compares, rolls back, and reads status and history.
import { spawnSync } from "node:child_process"
import { mkdirSync, rmSync } from "node:fs"
import { join, resolve } from "node:path"
import { ensureTools } from "./os-tools.mjs"

ensureTools("demo", {
  rpmbuild: "rpm", createrepo_c: "createrepo-c", gpg: "gnupg", bwrap: "bubblewrap", busybox: "busybox-static",
  perl: "perl", flock: "util-linux", zstd: "zstd", xz: "xz-utils",
})

// STRATA_SCRATCH: somewhere else than ./.scratch (the main-job test runs it in a temporary directory)
const root = resolve(process.env.STRATA_SCRATCH ?? ".scratch")
const bin = new URL("../bin/strata.js", import.meta.url).pathname
// Deployments are immutable (chattr +i) — a plain rm of an old scratch area needs that lifted.
spawnSync("sh", ["-c", `find '${root}' -maxdepth 6 -path '*/ostree/deploy/*/deploy/*' -type d -prune -exec chattr -i {} + 2>/dev/null`])
rmSync(root, { recursive: true, force: true })
mkdirSync(root, { recursive: true })

const show = (s) => s.replaceAll(root + "/", "")
const step = (title) => console.log(`\n## ${title}`)
const strata = (...args) => {
  console.log(`\n$ strata ${show(args.join(" "))}`)
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" })
  process.stdout.write(show(r.stdout))
  if (r.status !== 0) {
    console.error(`demo: step failed (exit ${r.status})`)
    process.exit(r.status ?? 1)
  }
  return r.stdout.trim()
}

step("The fixture RPM distribution (rpmbuild + createrepo_c; versions 1 and 2)")
const distro = join(root, "distro")
const built = spawnSync("bash", [new URL("../fixtures/distro/build.sh", import.meta.url).pathname, distro], { stdio: ["ignore", "ignore", "inherit"] })
if (built.status !== 0) process.exit(built.status ?? 1)
console.log(`built ${show(distro)}/repo/1 and ${show(distro)}/repo/2`)

step("Vendor: compose base image v1 from the treefile")
const repo = join(root, "repo")
const cache = join(root, "cache")
const ref = `strata/fixture/x86_64/base`
strata("repo", `--repo=${repo}`, "init", "--mode=archive")
strata("compose", "tree", join(distro, "compose/1/fixture.yaml"), `--repo=${repo}`, `--cachedir=${cache}`)
strata("compose", "tree", join(distro, "compose/1/fixture.yaml"), `--repo=${repo}`, `--cachedir=${cache}`)
strata("repo", `--repo=${repo}`, "log", ref)
strata("db", "list", `--repo=${repo}`, ref)

step("Admin: a scratch sysroot deploys it from the vendor's repo")
const S = join(root, "sysroot")
strata("admin", "init-fs", S)
strata("admin", "os-init", "fixture", "--sysroot", S)
strata("repo", `--repo=${join(S, "ostree/repo")}`, "remote", "add", "--no-gpg-verify", "vendor", `file://${repo}`, ref)
strata("repo", `--repo=${join(S, "ostree/repo")}`, "pull", "vendor", ref)
strata("admin", "deploy", `vendor:${ref}`, "--os", "fixture", "--karg=root=/dev/vda1", "--karg=rw", "--sysroot", S)

step("Admin: layer a package (a new deployment; the deployed one is untouched)")
strata("install", "extra-a", "--sysroot", S)
strata("status", "--sysroot", S)

step("Vendor: compose v2; admin: upgrade (the layered package is carried over)")
strata("compose", "tree", join(distro, "compose/2/fixture.yaml"), `--repo=${repo}`, `--cachedir=${cache}`)
strata("upgrade", "--sysroot", S)
strata("status", "--sysroot", S)
strata("db", "diff", "--sysroot", S)

step("Admin: roll back to the layered v1 deployment")
strata("rollback", "--sysroot", S)
strata("status", "--sysroot", S)

step("What happened, from the sysroot's event log")
strata("history", "--sysroot", S)
strata("log", "verify", "--sysroot", S)
console.log(`\ndemo: done — scratch area in ${root}`)
