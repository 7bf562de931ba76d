import t from "tap"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { listTree } from "../../src/io/repo/ls.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { tmp } from "../helpers/tmp.js"
import { MODES, ostree, ostreeHistory, srepo } from "../helpers/repo-fixture.js"

const CASES: ReadonlyArray<ReadonlyArray<string>> = [
  ["main"],
  ["-R", "main"],
  ["-R", "-C", "-X", "main"],
  ["-C", "-X", "main^", "/", "/a.txt", "/sub", "/link", "/abslink"],
  ["-d", "main", "/sub"],
  ["-d", "-C", "main", "/"],
  ["-R", "other", "/sub"],
  ["main", "sub/run.sh", "added"],
  ["-X", "other", "/it's here"],
]

for (const mode of MODES) {
  t.test(`ls prints what ostree ls prints (${mode})`, async (t) => {
    const h = ostreeHistory(tmp(t), mode)
    for (const args of CASES) {
      const ours = srepo(h.repo, "ls", ...args)
      const theirs = ostree(h.repo, "ls", ...args)
      t.equal(theirs.status, 0, `ostree ls ${args.join(" ")} ran`)
      t.equal(ours.status, 0, `strata ls ${args.join(" ")} exit status ${ours.stderr}`)
      t.equal(ours.stdout, theirs.stdout, `ls ${args.join(" ")}`)
    }
  })
}

t.test("ls --nul-filenames-only prints NUL-terminated paths", async (t) => {
  const h = ostreeHistory(tmp(t), "archive")
  const r = srepo(h.repo, "ls", "--nul-filenames-only", "-R", "main", "/sub")
  t.equal(r.stdout, "/sub\0/sub/new\0/sub/run.sh\0/sub/deeper\0/sub/deeper/leaf\0")
})

t.test("ls returns structured entries", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  const entries = await listTree(await openRepo(h.repo), { rev: h.c1, paths: ["/link", "/sub/run.sh"] })
  t.match(entries[0], { path: "/link", type: "symlink", target: "a.txt", mode: 0o777, size: 0 })
  t.match(entries[1], { path: "/sub/run.sh", type: "file", mode: 0o755, size: 18, uid: 0, gid: 0 })
  t.equal(entries[1]!.xattrs.length, 1, "xattrs of the content object")
})

t.test("ls of a missing path, through a symlink, and of a ref to a missing commit fail with one line", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  for (const path of ["/nonexistent", "/link/x", "/sub/"]) {
    const r = srepo(h.repo, "ls", "main^", path)
    t.not(r.status, 0, `ls ${path} fails`)
    t.equal(r.stderr.trim().split("\n").length, 1, "one line")
    t.match(r.stderr, path)
  }
  writeFileSync(join(h.repo, "refs/heads/dangling"), `${"1".repeat(64)}\n`)
  const r = srepo(h.repo, "ls", "dangling")
  t.equal(r.status, 3, "NotFound exit code")
  t.equal(r.stderr, `strata: read commit: no such commit object ${"1".repeat(64)}\n`)
})
