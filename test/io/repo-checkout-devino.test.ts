/**
 * A hardlink checkout reports the devino cache of what it linked (device:inode → checksum), from
 * the inodes its verification recorded — layering commits the checked-out base again with it
 * instead of scanning every object of the repository. It must agree with such a scan.
 */
import t from "tap"
import { lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { openRepo } from "../../src/io/repo/repo.js"
import { checkout } from "../../src/io/repo/checkout.js"
import { devinoKey, scanDevino } from "../../src/io/repo/devino.js"
import { sh, tmp } from "../helpers/tmp.js"

t.test("checkout -H reportDevino: every linked file's inode maps to its object, as a repository scan says", async (t) => {
  const dir = tmp(t)
  const input = join(dir, "in")
  mkdirSync(join(input, "usr/lib/a"), { recursive: true })
  for (let i = 0; i < 40; i++) writeFileSync(join(input, `usr/lib/a/f${i}`), `file ${i % 30}\n`)
  writeFileSync(join(input, "usr/lib/empty"), "")
  symlinkSync("a/f1", join(input, "usr/lib/link"))
  const repoPath = join(dir, "repo")
  sh("ostree", [`--repo=${repoPath}`, "init", "--mode=bare"])
  sh("ostree", [`--repo=${repoPath}`, "commit", "-b", "m", `--tree=dir=${input}`])
  const repo = await openRepo(repoPath)
  const scan = scanDevino(repo)
  for (const pass of ["objects hashed", "objects from the verified cache"]) {
    const dest = join(dir, `co-${pass.split(" ")[2]}`)
    const { devino } = await checkout(repo, { rev: "m", destination: dest, requireHardlinks: true, reportDevino: true })
    t.ok(devino, pass)
    for (const [k, c] of devino!) t.equal(scan.get(k), c, `${pass}: ${c.slice(0, 8)} agrees with the scan`)
    // every linked regular file of the checkout is known by its inode
    const files = readdirSync(join(dest, "usr/lib/a")).map((n) => lstatSync(join(dest, "usr/lib/a", n)))
    t.ok(files.every((st) => devino!.has(devinoKey(st.dev, st.ino))), `${pass}: all 40 linked files are in it`)
    t.equal(devino!.size, 31, "one entry per distinct object linked: 30 contents and the symlink (bare keeps symlink objects as symlinks, linked too)")
    t.notOk(devino!.has(devinoKey(lstatSync(join(dest, "usr/lib/empty")).dev, lstatSync(join(dest, "usr/lib/empty")).ino)), "an empty file is copied, not linked: not in it")
  }
  const { devino: none } = await checkout(repo, { rev: "m", destination: join(dir, "copy"), forceCopy: true, reportDevino: true })
  t.equal(none, undefined, "a copying checkout links nothing")
})
