/**
 * ostree-layers / ostree-override-layers: commits of the target repo checked out over the
 * packages. A plain layer adds files (an identical copy of a package's file is fine), a
 * conflicting one is refused with nothing written; an override layer replaces the package's file;
 * a changed layer commit makes the next compose a new commit (the input hash counts it).
 */
import t from "tap"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { buildDistro } from "../helpers/distro.js"
import { sh, strata, tmp } from "../helpers/tmp.js"

const REF = "test/x86_64/layers"

t.test("ostree-layers and ostree-override-layers", async (t) => {
  const d = await buildDistro()
  const dir = tmp(t, "strata-compose-layers-")
  const repo = join(dir, "repo")
  const cachedir = join(dir, "cache")
  sh("ostree", [`--repo=${repo}`, "init", "--mode=archive"])
  writeFileSync(join(dir, "fixture.repo"), readFileSync(join(d.compose1, "fixture.repo")))
  const layer = (ref: string, files: Record<string, string>): void => {
    const root = join(dir, `src-${ref.replace(/\W/g, "-")}`)
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(root, p, ".."), { recursive: true })
      writeFileSync(join(root, p), text)
    }
    sh("ostree", [`--repo=${repo}`, "commit", "-b", ref, `--tree=dir=${root}`, "--owner-uid=0", "--owner-gid=0", "--no-xattrs"])
  }
  // hello 1 ships /usr/share/hello-v1-only ("only in hello 1")
  layer("layers/extra", { "usr/share/extra/notes.txt": "from a layer\n", "usr/share/hello-v1-only": "only in hello 1\n" })
  layer("layers/override", { "usr/share/hello-v1-only": "overridden\n" })
  const treefile = (fields: Record<string, unknown>): string => {
    const p = join(dir, "t.json")
    writeFileSync(p, JSON.stringify({ ref: REF, repos: ["fixture"], packages: ["filesystem setup busybox fixture-release", "hello"], ...fields }))
    return p
  }
  const compose = (fields: Record<string, unknown>) => strata(["compose", "tree", "--repo", repo, "--cachedir", cachedir, treefile(fields)])

  const first = compose({ "ostree-layers": ["layers/extra"], "ostree-override-layers": ["layers/override"] })
  t.equal(first.status, 0, first.stderr)
  t.equal(sh("ostree", [`--repo=${repo}`, "cat", REF, "/usr/share/extra/notes.txt"]), "from a layer\n", "the layer's file is in the tree")
  t.equal(sh("ostree", [`--repo=${repo}`, "cat", REF, "/usr/share/hello-v1-only"]), "overridden\n", "the override layer replaced the package's file")
  t.match(sh("ostree", [`--repo=${repo}`, "ls", REF, "/usr/bin/hello"]), /\/usr\/bin\/hello/, "the packages are there too")
  const c1 = sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim()

  const same = compose({ "ostree-layers": ["layers/extra"], "ostree-override-layers": ["layers/override"] })
  t.match(same.stdout, /No apparent changes/, "same layer commits: no change")
  layer("layers/extra", { "usr/share/extra/notes.txt": "from a newer layer\n", "usr/share/hello-v1-only": "only in hello 1\n" })
  const second = compose({ "ostree-layers": ["layers/extra"], "ostree-override-layers": ["layers/override"] })
  t.equal(second.status, 0, second.stderr)
  t.not(sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim(), c1, "a new layer commit: a new compose")
  t.equal(sh("ostree", [`--repo=${repo}`, "cat", REF, "/usr/share/extra/notes.txt"]), "from a newer layer\n")

  const before = sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim()
  const conflict = compose({ "ostree-layers": ["layers/override"] })
  t.not(conflict.status, 0, "a plain layer that changes a package's file is refused")
  t.match(conflict.stderr, /^strata: compose ostree-layers: layers\/override: \/usr\/share\/hello-v1-only conflicts with a file from the packages/m)
  t.equal(conflict.stderr.trim().split("\n").length, 1, "one line")
  t.equal(sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim(), before, "the ref did not move")

  const missing = compose({ "ostree-layers": ["layers/none"] })
  t.not(missing.status, 0)
  t.match(missing.stderr, /ostree-layers.*layers\/none is not a ref of the target repository/)
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)
})
