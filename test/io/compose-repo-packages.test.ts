/**
 * repo-packages: packages pinned to one repo. With both fixture repositories configured and only
 * the version-2 one in `repos`, hello comes from version 1's repo (named only by repo-packages),
 * a pinned library stays version 1 even when a version-2 package pulls it in, and a package the
 * named repo lacks is "not found" with the repo said.
 */
import t from "tap"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { buildDistro } from "../helpers/distro.js"
import { sh, strata, tmp } from "../helpers/tmp.js"

t.test("repo-packages pins packages (and the dependencies named) to their repo", async (t) => {
  const d = await buildDistro()
  const dir = tmp(t, "strata-compose-rp-")
  sh("ostree", [`--repo=${join(dir, "repo")}`, "init", "--mode=archive"])
  writeFileSync(join(dir, "two.repo"), `[fixture-1]\nname=one\nbaseurl=file://${d.repo1}\ngpgcheck=0\n[fixture-2]\nname=two\nbaseurl=file://${d.repo2}\ngpgcheck=0\n`)
  const dry = (yaml: string) => {
    writeFileSync(join(dir, "t.yaml"), `ref: t/rp\nrepos: [fixture-2]\npackages: [filesystem, setup, busybox, fixture-release]\n${yaml}`)
    return strata(["compose", "tree", "--dry-run", "--repo", join(dir, "repo"), "--cachedir", join(dir, "cache"), join(dir, "t.yaml")])
  }
  const plain = dry("packages-x86_64: [hello]\n")
  t.equal(plain.status, 0, plain.stderr)
  t.match(plain.stdout, /\n  hello-2\.0-1\.x86_64 \(fixture-2\)\n/, "without repo-packages: the newest, from the listed repo")

  const pinned = dry("repo-packages:\n  - repo: fixture-1\n    packages: [hello]\n")
  t.equal(pinned.status, 0, pinned.stderr)
  t.match(pinned.stdout, /\n  hello-1\.0-1\.x86_64 \(fixture-1\)\n/, "hello from the repo it is pinned to (not in `repos`)")
  t.match(pinned.stdout, /\n  busybox-2\.0-1\.x86_64 \(fixture-2\)\n/, "the rest from `repos`")

  const dep = dry("packages-x86_64: [hello]\nrepo-packages:\n  - repo: fixture-1\n    packages: [libfoo]\n")
  t.equal(dep.status, 0, dep.stderr)
  t.match(dep.stdout, /\n  hello-2\.0-1\.x86_64 \(fixture-2\)\n/)
  t.match(dep.stdout, /\n  libfoo-1\.0-1\.x86_64 \(fixture-1\)\n/, "the pinned library is version 1 although hello 2 pulls it in")
  t.notMatch(dep.stdout, /libfoo-2/, "fixture-2's libfoo is excluded")

  const missing = dry("repo-packages:\n  - repo: fixture-1\n    packages: [no-such-package]\n")
  t.not(missing.status, 0)
  t.match(missing.stderr, /Packages not found: no-such-package \(in repo fixture-1\)/)
})
