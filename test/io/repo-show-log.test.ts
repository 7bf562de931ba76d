import t from "tap"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { commitLog, showObject } from "../../src/io/repo/show.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { tmp } from "../helpers/tmp.js"
import { ostree, ostreeHistory, srepo } from "../helpers/repo-fixture.js"

t.test("show, log and their options print what ostree prints", async (t) => {
  const h = ostreeHistory(tmp(t), "archive")
  const root = srepo(h.repo, "ls", "-d", "-C", "main", "/").stdout.split(" ").filter(Boolean)
  const [dirtree, dirmeta] = [root[4]!, root[5]!]
  const cases: string[][] = [
    ["show", "main"], ["show", "main^"], ["show", "other"], ["show", h.c1], ["show", h.c2.slice(0, 10)],
    ["show", "--raw", "main"], ["show", "--raw", "other"], ["show", "-B", "other"], ["show", "-B", "--raw", "main"],
    ["show", dirtree], ["show", "--raw", dirtree], ["show", "--raw", dirmeta],
    ["log", "main"], ["log", "other"], ["log", "--raw", "main"],
    ...["version", "n", "y", "d", "s", "ostree.ref-binding"].map((k) => ["show", `--print-metadata-key=${k}`, "other"]),
  ]
  for (const args of cases) {
    const ours = srepo(h.repo, ...args)
    const theirs = ostree(h.repo, ...args)
    t.equal(theirs.status, 0, `ostree ${args.join(" ")}`)
    t.equal(ours.status, 0, `strata ${args.join(" ")} exit status ${ours.stderr}`)
    t.equal(ours.stdout, theirs.stdout, args.join(" "))
  }
  t.match(srepo(h.repo, "show", "main").stdout, /^ContentChecksum:  [0-9a-f]{64}$/m, "ContentChecksum line")
  t.match(srepo(h.repo, "show", "main^").stdout, /^Version: 1\.0$/m, "Version line")
})

t.test("log stops where a shallow pull stopped, like ostree", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  const shallow = join(dir, "shallow")
  ostree(shallow, "init", "--mode=archive")
  ostree(shallow, "pull-local", h.repo, "main")
  const ours = srepo(shallow, "log", "main")
  t.equal(ours.stdout, ostree(shallow, "log", "main").stdout)
  t.match(ours.stdout, /<< History beyond this commit not fetched >>\n$/)
  const log = await commitLog(await openRepo(shallow), "main")
  t.equal(log.entries.length, 1)
  t.equal(log.truncated, true)
  const full = await commitLog(await openRepo(h.repo), "main")
  t.same(full.entries.map((e) => e.checksum), [h.c2, h.c1])
  t.equal(full.truncated, false)
})

t.test("showObject finds non-commit metadata objects", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  const repo = await openRepo(h.repo)
  const c = await showObject(repo, "main")
  t.equal(c.type, "commit")
  const tree = await showObject(repo, c.commit!.rootTree)
  t.equal(tree.type, "dirtree")
  const meta = await showObject(repo, c.commit!.rootMeta)
  t.equal(meta.type, "dirmeta")
})

t.test("bad revs and missing objects: one clear line, non-zero exit", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  writeFileSync(join(h.repo, "refs/heads/dangling"), `${"2".repeat(64)}\n`)
  for (const cmd of ["show", "log"]) {
    let r = srepo(h.repo, cmd, "dangling")
    t.equal(r.status, 3, `${cmd} of a ref to a missing commit`)
    t.match(r.stderr, new RegExp(`^strata: [a-z ]+: no such (commit|metadata) object ${"2".repeat(64)}\n$`))
    r = srepo(h.repo, cmd, "nosuchref")
    t.equal(r.status, 3, `${cmd} of an unknown ref`)
    t.equal(r.stderr.trim().split("\n").length, 1)
  }
  const r = srepo(h.repo, "show", "--print-metadata-key=nokey", "main")
  t.equal(r.status, 3)
  t.match(r.stderr, /no such metadata key 'nokey'/)
  const c = srepo(h.repo, "show", `${"3".repeat(64)}`)
  t.equal(c.status, 3, "a checksum naming no object")
  t.match(c.stderr, /no such metadata object/)
})
