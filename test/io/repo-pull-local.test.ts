import t from "tap"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { pullLocal } from "../../src/io/repo/pull-local.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { diffTrees } from "../../src/io/repo/diff.js"
import { tmp } from "../helpers/tmp.js"
import { MODES, flipByte, makeTree, objectFiles, ostree, ostreeHistory, srepo, type History } from "../helpers/repo-fixture.js"

const lsAll = (repo: string, rev: string): string => ostree(repo, "ls", "-R", "-C", "-X", rev).stdout

const sources = (dir: string): Record<string, History> => ({
  archive: ostreeHistory(dir, "archive"), // has xattrs
  "bare-user-only": ostreeHistory(dir, "bare-user-only"), // none: storable in every mode
})

t.test("pull-local from ostree-written repos into every mode", async (t) => {
  const dir = tmp(t)
  const src = sources(dir)
  for (const [srcMode, h] of Object.entries(src)) {
    for (const mode of MODES) {
      const dest = join(dir, `from-${srcMode}-to-${mode}`)
      srepo(dest, "init", `--mode=${mode}`)
      const r = srepo(dest, "pull-local", "--depth=-1", h.repo)
      if (mode === "bare-user-only" && srcMode === "archive") {
        t.equal(r.status, 9, "xattrs and ownership cannot be stored in bare-user-only: refused")
        t.match(r.stderr, /cannot be stored in a bare-user-only repository/)
        t.same(readdirSync(join(dest, "refs/heads")), [], "no ref written")
        t.same(objectFiles(dest), [], "no object written")
        continue
      }
      t.equal(r.status, 0, `${srcMode} → ${mode}: ${r.stderr}`)
      for (const ref of ["main", "other"]) {
        t.equal(readFileSync(join(dest, "refs/heads", ref), "utf8"), readFileSync(join(h.repo, "refs/heads", ref), "utf8"), `${ref} mirrored`)
      }
      t.equal(lsAll(dest, "main"), lsAll(h.repo, "main"), `${srcMode} → ${mode}: same tree, modes, owners, xattrs, checksums`)
      t.equal(lsAll(dest, "main^"), lsAll(h.repo, "main^"), `${srcMode} → ${mode}: parent too (--depth=-1)`)
      const f = ostree(dest, "fsck")
      t.equal(f.status, 0, `ostree fsck of the ${mode} copy ${f.stderr}`)
      t.equal(srepo(dest, "fsck").status, 0, "strata fsck agrees")
      t.same(readdirSync(join(dest, "state")), [], "no commit left partial")
      t.equal(srepo(dest, "pull-local", h.repo).stdout, "0 metadata, 0 content objects imported; 0 bytes content written\n", "nothing twice")
    }
  }
})

t.test("a bare checkout from a repo strata filled reproduces the source tree", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  const dest = join(dir, "bare")
  srepo(dest, "init", "--mode=bare")
  t.equal(srepo(dest, "pull-local", h.repo, "main").status, 0)
  const co = join(dir, "co")
  t.equal(ostree(dest, "checkout", "main", co).status, 0)
  t.same(await diffTrees(await openRepo(h.repo), { rev: "main" }, { dir: co }), { modified: [], removed: [], added: [] })
})

t.test("ostree pull-local from a strata archive repo", async (t) => {
  const dir = tmp(t)
  const src = join(dir, "strata-archive")
  srepo(src, "init", "--mode=archive")
  const tree = makeTree(join(dir, "tree"))
  const c = srepo(src, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "from strata")
  t.equal(c.status, 0, c.stderr)
  for (const mode of MODES.filter((m) => m !== "bare-user-only")) {
    const dest = join(dir, `ostree-${mode}`)
    ostree(dest, "init", `--mode=${mode}`)
    const r = ostree(dest, "pull-local", src, "main")
    t.equal(r.status, 0, `ostree pull-local into ${mode}: ${r.stderr}`)
    t.equal(ostree(dest, "fsck").status, 0, "ostree fsck")
    t.equal(lsAll(dest, "main"), lsAll(src, "main"), "same tree")
  }
})

t.test("pull-local: depth, --remote, checksums, and the report line", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  const ours = join(dir, "ours")
  const theirs = join(dir, "theirs")
  srepo(ours, "init", "--mode=archive")
  ostree(theirs, "init", "--mode=archive")
  const a = srepo(ours, "pull-local", h.repo, "main")
  const b = ostree(theirs, "pull-local", h.repo, "main")
  // ostree copies archive objects verbatim and so counts no content bytes written; strata re-stores them.
  const counts = (s: string): string => s.replace(/; .* content written\n$/, "")
  t.equal(counts(a.stdout), counts(b.stdout), "same counts as ostree")
  t.match(a.stdout, /^\d+ metadata, \d+ content objects imported; \d+ bytes content written\n$/)
  t.same(objectFiles(ours), objectFiles(theirs), "same objects as ostree (depth 0: no parent)")
  t.match(srepo(ours, "log", "main").stdout, /<< History beyond this commit not fetched >>/)
  await pullLocal(await openRepo(ours), { src: h.repo, refs: ["main"], depth: 1 })
  t.notMatch(srepo(ours, "log", "main").stdout, /not fetched/, "--depth=1 brought the parent")
  t.equal(srepo(ours, "pull-local", "--remote=origin", h.repo, "other").status, 0)
  t.equal(readFileSync(join(ours, "refs/remotes/origin/other"), "utf8").trim(), h.other, "refs/remotes/origin/other")
  t.notOk(existsSync(join(ours, "refs/heads/other")))
  const bycsum = join(dir, "bycsum")
  srepo(bycsum, "init", "--mode=bare-user")
  t.equal(srepo(bycsum, "pull-local", h.repo, h.c1).status, 0)
  t.same(readdirSync(join(bycsum, "refs/heads")), [], "a checksum pulls no ref")
  t.equal(srepo(bycsum, "show", h.c1).stdout, ostree(h.repo, "show", h.c1).stdout, "but the commit is there")
})

t.test("pull-local verifies every object and writes nothing when one is corrupt", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  for (const ext of ["filez", "dirtree", "dirmeta", "commit"]) {
    const src = join(dir, `src-${ext}`)
    ostree(src, "init", "--mode=archive")
    ostree(src, "pull-local", h.repo, "main")
    const victim = objectFiles(src, ext).at(-1)!
    flipByte(join(src, "objects", victim), readFileSync(join(src, "objects", victim)).length - 2)
    const dest = join(dir, `dest-${ext}`)
    srepo(dest, "init", "--mode=bare")
    const r = srepo(dest, "pull-local", src, "main")
    t.equal(r.status, 4, `corrupt .${ext}: Corrupt exit status`)
    t.equal(r.stderr.trim().split("\n").length, 1, "one line")
    t.match(r.stderr, victim.replace("/", "").replace(/\.\w+$/, ""), "names the object")
    t.same(readdirSync(join(dest, "refs/heads")), [], "no ref")
    t.same(objectFiles(dest), [], "no object")
    t.same(readdirSync(join(dest, "state")), [], "no partial marker left")
    t.same(readdirSync(join(dest, "tmp")), [], "no staging left")
  }
})

t.test("pull-local errors: unknown ref, same repo, missing source", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  let r = srepo(h.repo, "pull-local", h.repo)
  t.equal(r.status, 2, "same repository")
  const dest = join(dir, "d")
  srepo(dest, "init")
  r = srepo(dest, "pull-local", h.repo, "nosuch")
  t.equal(r.status, 3)
  t.equal(r.stderr.trim().split("\n").length, 1)
  r = srepo(dest, "pull-local", join(dir, "nowhere"))
  t.equal(r.status, 3)
})
