import t from "tap"
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { diffStats, diffTrees } from "../../src/io/repo/diff.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { tmp } from "../helpers/tmp.js"
import { ostree, ostreeHistory, srepo } from "../helpers/repo-fixture.js"

t.test("diff between commits prints what ostree diff prints", async (t) => {
  const h = ostreeHistory(tmp(t), "archive")
  for (const args of [["main^", "main"], ["main", "main^"], ["main"], ["main^", "other"], ["other", "main"], ["main", "main"], ["--stats", "main^", "main"], ["--stats", "main"]]) {
    const ours = srepo(h.repo, "diff", ...args)
    const theirs = ostree(h.repo, "diff", ...args)
    t.equal(theirs.status, 0, `ostree diff ${args.join(" ")}`)
    t.equal(ours.status, 0, `strata diff ${args.join(" ")} ${ours.stderr}`)
    t.equal(ours.stdout, theirs.stdout, `diff ${args.join(" ")}`)
  }
  const r = await diffTrees(await openRepo(h.repo), { rev: h.c1 }, { rev: h.c2 })
  t.same(r.modified, ["/a.txt", "/empty"], "a changed file, a directory whose mode changed")
  t.same(r.removed, ["/link", "/d2"], "removed directories are listed once")
  t.same(r.added, ["/sub/new", "/added", "/added/inner", "/added/inner/f"], "added directories with their contents")
  const s = await diffStats(await openRepo(h.repo), h.c1, h.c2)
  t.ok(s.common > 0 && s.common < Math.min(s.objectsA, s.objectsB), "some objects shared")
})

t.test("diff against a local directory (bare repo, checkout edited)", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "bare")
  const co = join(dir, "co")
  ostree(h.repo, "checkout", "main", co)
  rmSync(join(co, "a.txt")) // a hardlink into the repo: never write through it
  writeFileSync(join(co, "a.txt"), "edited\n")
  rmSync(join(co, "sub/new"))
  mkdirSync(join(co, "fresh"))
  writeFileSync(join(co, "fresh/x"), "x\n")
  symlinkSync("nowhere", join(co, "sub/dangling"))
  for (const args of [["main", `${co}`], [`${co}`, "main"], ["--no-xattrs", "main", co], ["--owner-uid=5", "main", co]]) {
    const ours = srepo(h.repo, "diff", ...args)
    const theirs = ostree(h.repo, "diff", ...args)
    t.equal(ours.status, 0, `strata diff ${args.join(" ")} ${ours.stderr}`)
    t.same(ours.stdout.split("\n").sort(), theirs.stdout.split("\n").sort(), `diff ${args.join(" ")} (same lines)`)
  }
  const r = await diffTrees(await openRepo(h.repo), { rev: "main" }, { dir: co })
  t.same(r.modified, ["/a.txt"])
  t.same(r.removed, ["/sub/new"])
  t.same(r.added.sort(), ["fresh", "fresh/x", "sub/dangling"], "paths relative to the directory, as ostree prints them")
  const clean = join(dir, "clean")
  ostree(h.repo, "checkout", "main", clean)
  const same = await diffTrees(await openRepo(h.repo), { rev: "main" }, { dir: clean })
  t.same(same, { modified: [], removed: [], added: [] }, "a fresh checkout has no differences (ownership, modes, xattrs included)")
})

t.test("diff errors: unknown rev, missing directory", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  let r = srepo(h.repo, "diff", "main", "nosuch")
  t.equal(r.status, 3)
  t.equal(r.stderr.trim().split("\n").length, 1)
  r = srepo(h.repo, "diff", "main", "/does/not/exist")
  t.not(r.status, 0)
  t.equal(r.stderr.trim().split("\n").length, 1)
})
