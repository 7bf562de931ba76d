/**
 * Remotes and HTTP pull against the real ostree: remote config both ways, strata pulling from
 * a repo ostree wrote (served by python3 -m http.server) into every mode, ostree pulling from an
 * archive repo strata wrote and summarised, depth / commit-metadata-only / mirror.
 */
import t from "tap"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { tmp, sh } from "../helpers/tmp.js"
import { MODES, makeTree, evolveTree, ostree, ostreeHistory, srepo } from "../helpers/repo-fixture.js"
import { pythonServer } from "../helpers/http.js"

t.test("remote add/list/show-url/delete match ostree, and each reads the other's config", async (t) => {
  const dir = tmp(t)
  const ours = join(dir, "ours")
  const theirs = join(dir, "theirs")
  srepo(ours, "init", "--mode=archive")
  ostree(theirs, "init", "--mode=archive")
  const add = ["remote", "add", "--no-gpg-verify", "--set=foo=bar", "origin", "http://example.com/repo", "main", "other"]
  t.equal(srepo(ours, ...add).status, 0)
  t.equal(ostree(theirs, ...add).status, 0)
  t.equal(srepo(ours, "remote", "add", "r2", "http://x/y").status, 0)
  t.equal(ostree(theirs, "remote", "add", "r2", "http://x/y").status, 0)
  t.equal(readFileSync(join(ours, "config"), "utf8"), readFileSync(join(theirs, "config"), "utf8"), "the same config text")
  for (const args of [["remote", "list"], ["remote", "list", "-u"], ["remote", "show-url", "origin"]]) {
    t.equal(srepo(ours, ...args).stdout, ostree(theirs, ...args).stdout, args.join(" "))
    t.equal(ostree(ours, ...args).stdout, srepo(theirs, ...args).stdout, `${args.join(" ")} (swapped)`)
  }
  const dup = srepo(ours, "remote", "add", "origin", "http://z")
  t.not(dup.status, 0)
  t.match(dup.stderr, /Remote configuration for "origin" already exists/)
  t.equal(srepo(ours, "remote", "add", "--if-not-exists", "origin", "http://z").status, 0)
  t.match(srepo(ours, "remote", "delete", "nope").stderr, /Remote "nope" not found/)
  t.equal(srepo(ours, "remote", "delete", "--if-exists", "nope").status, 0)
  t.equal(srepo(ours, "remote", "delete", "r2").status, 0)
  t.equal(ostree(ours, "remote", "list").stdout, "origin\n", "ostree sees the deletion")

  // With a sysroot, remotes go to <sysroot>/etc/ostree/remotes.d/NAME.conf.
  const sysroot = join(dir, "sysroot")
  sh("mkdir", ["-p", sysroot])
  t.equal(srepo(ours, `--sysroot=${sysroot}`, "remote", "add", "--no-gpg-verify", "fedora", "http://f/repo", "main").status, 0)
  t.equal(readFileSync(join(sysroot, "etc/ostree/remotes.d/fedora.conf"), "utf8"), '[remote "fedora"]\nurl=http://f/repo\nbranches=main;\ngpg-verify=false\n')
  t.equal(srepo(ours, `--sysroot=${sysroot}`, "remote", "list").stdout, "fedora\norigin\n")
  t.equal(srepo(ours, `--sysroot=${sysroot}`, "remote", "delete", "fedora").status, 0)
  t.notOk(existsSync(join(sysroot, "etc/ostree/remotes.d/fedora.conf")))
})

t.test("strata pulls over HTTP from a repo ostree wrote, into every mode", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  t.equal(ostree(h.repo, "summary", "-u").status, 0)
  const url = await pythonServer(t, h.repo)
  for (const mode of MODES) {
    const dest = join(dir, `pull-${mode}`)
    srepo(dest, "init", `--mode=${mode}`)
    t.equal(srepo(dest, "remote", "add", "--no-gpg-verify", "origin", url).status, 0)
    const r = srepo(dest, "pull", "origin", "main")
    if (mode === "bare-user-only") {
      // The source tree has user xattrs, which bare-user-only cannot keep: refused, cleanly.
      t.not(r.status, 0)
      t.match(r.stderr, /^strata: pull: content object [0-9a-f]{64} .*1 xattrs\) cannot be stored in a bare-user-only repository\n$/)
      t.notOk(existsSync(join(dest, "refs/remotes/origin/main")), "no ref written")
      continue
    }
    t.equal(r.status, 0, `${mode}: ${r.stderr}`)
    t.match(r.stdout, /metadata, \d+ content objects fetched/)
    t.equal(ostree(dest, "rev-parse", "origin:main").stdout.trim(), h.c2, `${mode}: refs/remotes/origin/main`)
    const fsck = ostree(dest, "fsck")
    t.equal(fsck.status, 0, `${mode}: ostree fsck: ${fsck.stderr}`)
    t.notOk(existsSync(join(dest, "state", `${h.c2}.commitpartial`)), `${mode}: no partial marker left`)
    const co = join(dir, `co-${mode}`)
    t.equal(ostree(dest, "checkout", "-U", "origin:main", co).status, 0)
    t.equal(readFileSync(join(co, "a.txt"), "utf8"), "changed\n")
    // Pulling again fetches nothing and changes nothing.
    const again = srepo(dest, "pull", "origin", "main")
    t.equal(again.status, 0)
    t.match(again.stdout, /^1 metadata, 0 content objects fetched/, `${mode}: an up-to-date pull fetches no objects`)
  }
  // Checksum ref, no summary (refs/heads fallback), depth, commit-metadata-only, mirror.
  const dest = join(dir, "extra")
  srepo(dest, "init", "--mode=bare-user")
  srepo(dest, "remote", "add", "--no-gpg-verify", "origin", url)
  t.equal(srepo(dest, "pull", "--commit-metadata-only", "origin", "other").status, 0)
  t.ok(existsSync(join(dest, "state", `${h.other}.commitpartial`)), "metadata-only leaves the commit partial")
  t.equal(srepo(dest, "pull", "--depth=1", "origin", "main").status, 0)
  t.equal(ostree(dest, "fsck").status, 0, "depth=1 pulled c1's tree too")
  t.equal(ostree(dest, "ls", h.c1, "/d2/bin.dat").status, 0, "parent tree present")
  const mirror = join(dir, "mirror")
  srepo(mirror, "init", "--mode=archive")
  srepo(mirror, "remote", "add", "--no-gpg-verify", "origin", url)
  t.equal(srepo(mirror, "pull", "--mirror", "origin").status, 0)
  t.equal(ostree(mirror, "refs").stdout.split("\n").sort().join(" "), " main other", "a mirror writes refs/heads")
  t.same(readFileSync(join(mirror, "summary")), readFileSync(join(h.repo, "summary")), "and copies the summary")
})

t.test("ostree pulls from an archive repo strata wrote and summarised", async (t) => {
  const dir = tmp(t)
  const tree = makeTree(join(dir, "tree"))
  const src = join(dir, "src")
  srepo(src, "init", "--mode=archive")
  const c1 = srepo(src, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "one", "--timestamp=2024-01-01 00:00:00").stdout.trim()
  evolveTree(tree)
  const c2 = srepo(src, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "two", "--timestamp=2024-02-01 00:00:00").stdout.trim()
  t.equal(srepo(src, "summary", "-u").status, 0)
  const url = await pythonServer(t, src)
  for (const mode of ["bare-user", "archive"]) {
    const dest = join(dir, `ostree-${mode}`)
    ostree(dest, "init", `--mode=${mode}`)
    ostree(dest, "remote", "add", "--no-gpg-verify", "origin", url)
    const r = ostree(dest, "pull", "--depth=1", "origin", "main")
    t.equal(r.status, 0, `ostree pull (${mode}): ${r.stderr}`)
    t.equal(ostree(dest, "rev-parse", "origin:main").stdout.trim(), c2)
    t.equal(ostree(dest, "fsck").status, 0)
    t.equal(ostree(dest, "ls", c1, "/a.txt").status, 0, "the parent came too")
  }
})
