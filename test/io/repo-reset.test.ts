import t from "tap"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { isAncestor, resetRef } from "../../src/io/repo/reset.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { tmp } from "../helpers/tmp.js"
import { ostree, ostreeHistory, srepo } from "../helpers/repo-fixture.js"

const refOf = (repo: string, ref: string): string => readFileSync(join(repo, "refs/heads", ref), "utf8").trim()

t.test("reset moves a ref back to an ancestor, as ostree reset does", async (t) => {
  const h = ostreeHistory(tmp(t), "archive")
  const r = srepo(h.repo, "reset", "main", "main^")
  t.equal(r.status, 0, r.stderr)
  t.equal(refOf(h.repo, "main"), h.c1)
  t.equal(ostree(h.repo, "rev-parse", "main").stdout.trim(), h.c1, "ostree sees the move")
  t.equal(srepo(h.repo, "reset", "main", h.c1.slice(0, 12)).status, 0, "resetting to where it is, by checksum prefix")
})

t.test("reset refuses commits outside the ref's history unless --force", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  let r = srepo(h.repo, "reset", "main", "other")
  t.equal(r.status, 2)
  t.equal(r.stderr.trim().split("\n").length, 1, "one line")
  t.match(r.stderr, /is not main .* or one of its ancestors/)
  t.equal(refOf(h.repo, "main"), h.c2, "ref unchanged")
  r = srepo(h.repo, "reset", "main^", "main")
  t.not(r.status, 0, "a rev is not a ref")
  r = srepo(h.repo, "reset", "nosuch", "main")
  t.equal(r.status, 3, "unknown ref")
  r = srepo(h.repo, "reset", "main", "nosuch")
  t.equal(r.status, 3, "unknown target")
  r = srepo(h.repo, "reset", "--force", "main", "other")
  t.equal(r.status, 0)
  t.equal(refOf(h.repo, "main"), h.other, "moved with --force")
  const repo = await openRepo(h.repo)
  t.equal(await isAncestor(repo, h.c2, h.c1), true)
  t.equal(await isAncestor(repo, h.c1, h.c2), false)
  t.equal(await isAncestor(repo, h.c2, h.other), false)
})

t.test("reset stops at missing history and needs the target commit", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  writeFileSync(join(h.repo, "refs/heads/dangling"), `${"5".repeat(64)}\n`)
  const reasonOf = (p: Promise<unknown>): Promise<unknown> => p.then(() => "resolved", (e: { reason?: string }) => e.reason)
  t.equal(await reasonOf(resetRef(await openRepo(h.repo), "main", "5".repeat(64))), "NotFound", "the target must exist")
  t.equal(await reasonOf(resetRef(await openRepo(h.repo), "dangling", h.c1)), "Invalid", "no history to find an ancestor in")
  t.equal(refOf(h.repo, "main"), h.c2)
})
