#!/usr/bin/env node
// `npm run demo`: the main job on an embedded default — a scratch area under ./.scratch with a
// generated OS tree, an archive repo, commits v1 and v2, and (as the sysroot commands land) a
// scratch sysroot whose event log lives inside it. Every step is a real `strata` command.
import { spawnSync } from "node:child_process"
import { mkdirSync, rmSync, writeFileSync, existsSync, chmodSync, symlinkSync } from "node:fs"
import { join, resolve } from "node:path"

const root = resolve(".scratch")
const bin = resolve("bin/strata.js")
rmSync(root, { recursive: true, force: true })
mkdirSync(root, { recursive: true })

const strata = (...args) => {
  console.log(`\n$ strata ${args.join(" ").replaceAll(root + "/", "")}`)
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" })
  process.stdout.write(r.stdout)
  if (r.status !== 0) {
    console.error(`demo: step failed (exit ${r.status})`)
    process.exit(r.status ?? 1)
  }
  return r.stdout.trim()
}

/** A tiny OS tree shaped like a bootable OSTree commit. */
const makeOs = (dir, version) => {
  for (const d of ["usr/bin", "usr/lib/modules/6.1.0", "usr/etc", "usr/share/doc/demo"]) mkdirSync(join(dir, d), { recursive: true })
  writeFileSync(join(dir, "usr/bin/hello"), `#!/bin/sh\necho "hello from demo OS ${version}"\n`)
  chmodSync(join(dir, "usr/bin/hello"), 0o755)
  writeFileSync(join(dir, "usr/lib/modules/6.1.0/vmlinuz"), `kernel image ${version === "1" ? "A" : "B"}\n`)
  writeFileSync(join(dir, "usr/lib/modules/6.1.0/initramfs.img"), "initramfs\n")
  writeFileSync(join(dir, "usr/lib/os-release"), `NAME="Demo OS"\nID=demo\nVERSION_ID=${version}\nPRETTY_NAME="Demo OS ${version}"\n`)
  writeFileSync(join(dir, "usr/etc/hostname"), "demo\n")
  writeFileSync(join(dir, "usr/share/doc/demo/README"), `Demo OS version ${version}\n`)
  symlinkSync("../lib/os-release", join(dir, "usr/etc/os-release"))
}

const repo = join(root, "repo")
strata("repo", `--repo=${repo}`, "init", "--mode=archive")
for (const v of ["1", "2"]) {
  const tree = join(root, `tree-v${v}`)
  makeOs(tree, v)
  strata("repo", `--repo=${repo}`, "commit", "-b", "demo/x86_64/stable", `--tree=dir=${tree}`, "-s", `Demo OS ${v}`, `--add-metadata-string=version=${v}`)
}
strata("repo", `--repo=${repo}`, "log", "demo/x86_64/stable")
strata("repo", `--repo=${repo}`, "diff", "demo/x86_64/stable^", "demo/x86_64/stable")
strata("repo", `--repo=${repo}`, "fsck")
strata("repo", `--repo=${repo}`, "checkout", "demo/x86_64/stable", join(root, "checkout"))

// A scratch sysroot: every change below is a transaction recorded in its own event log
// (.scratch/sysroot/ostree/strata/log).
const sysroot = join(root, "sysroot")
const v1 = strata("repo", `--repo=${repo}`, "rev-parse", "demo/x86_64/stable^")
strata("admin", "init-fs", sysroot)
strata("admin", "os-init", "demo", "--sysroot", sysroot)
strata("repo", `--repo=${join(sysroot, "ostree/repo")}`, "pull-local", "--depth=1", repo, "demo/x86_64/stable")
strata("admin", "deploy", v1, "--os", "demo", "--karg=root=/dev/vda1", "--karg=rw", "--sysroot", sysroot)
strata("admin", "deploy", "demo/x86_64/stable", "--os", "demo", "--sysroot", sysroot)
strata("status", "--sysroot", sysroot)
strata("rollback", "--sysroot", sysroot)
strata("status", "--sysroot", sysroot)
strata("history", "--sysroot", sysroot)
strata("log", "verify", "--sysroot", sysroot)
console.log(`\ndemo: done — scratch area in ${root}`)
