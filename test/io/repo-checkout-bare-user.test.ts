/**
 * bare-user stores a symlink as a regular file holding its target (the real mode is in the
 * user.ostreemeta xattr). A `checkout -U -H` must still create symlinks, as ostree's does — on
 * one thread and on two, with the objects hashed this time and with them taken from the
 * verified-object cache the next time.
 */
import t from "tap"
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp, sh, strata } from "../helpers/tmp.js"
import { describeTree } from "../helpers/tree.js"

t.test("bare-user checkout -U -H makes symlinks of symlink objects, as ostree does", async (t) => {
  const dir = tmp(t)
  const input = join(dir, "in")
  mkdirSync(join(input, "usr/share/doc/pkg"), { recursive: true })
  for (let i = 0; i < 20; i++) writeFileSync(join(input, `usr/share/doc/pkg/f${i}`), `file ${i}\n`)
  writeFileSync(join(input, "usr/share/doc/pkg/empty"), "")
  symlinkSync("pkg", join(input, "usr/share/doc/alias"))
  symlinkSync("/usr/share/doc/pkg/f1", join(input, "usr/share/doc/absolute"))
  symlinkSync("missing-target", join(input, "usr/dangling"))
  const repo = join(dir, "repo")
  sh("ostree", [`--repo=${repo}`, "init", "--mode=bare-user"])
  sh("ostree", [`--repo=${repo}`, "commit", "-b", "m", `--tree=dir=${input}`])
  const byOstree = join(dir, "co-ostree")
  sh("ostree", [`--repo=${repo}`, "checkout", "-U", "-H", "m", byOstree])
  const want = describeTree(byOstree, { owners: false })
  t.equal(want.filter((e) => e.type === "l").length, 3, "ostree checked out three symlinks")
  for (const env of [{ STRATA_WORKERS: "1" }, { STRATA_WORKERS: "2", STRATA_POOL_MIN_FILES: "1" }] as Array<Record<string, string>>) {
    for (const pass of ["hashed", "cached"]) {
      const co = join(dir, `co-${env.STRATA_WORKERS}-${pass}`)
      const r = strata(["repo", `--repo=${repo}`, "checkout", "-U", "-H", "m", co], { env })
      t.equal(r.status, 0, r.stderr)
      t.same(describeTree(co, { owners: false }), want, `${env.STRATA_WORKERS} thread(s), objects ${pass}: the same tree as ostree's`)
    }
  }
  const single = join(dir, "one-link")
  const r = strata(["repo", `--repo=${repo}`, "checkout", "-U", "-H", "--subpath=/usr/share/doc/alias", "m", single])
  t.equal(r.status, 0, r.stderr)
  t.same(describeTree(single, { owners: false }).map((e) => [e.type, e.content]), [["l", "pkg"]], "--subpath of one symlink")
})
