import t from "tap"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { tombstoneBytes } from "../../src/io/repo/object-delete.js"
import { pruneRepo } from "../../src/io/repo/prune.js"
import { tmp } from "../helpers/tmp.js"
import { copyRepo, objectFiles, ostree, ostreeHistory, srepo, type Mode } from "../helpers/repo-fixture.js"

const CASES: ReadonlyArray<ReadonlyArray<string>> = [
  [], ["--no-prune"], ["--refs-only"], ["--refs-only", "--depth=0"], ["--refs-only", "--depth=0", "--no-prune"],
  ["--depth=0"], ["--keep-younger-than=2024-05-01"], ["--keep-younger-than=2030-01-01"],
]

for (const mode of ["archive", "bare"] as Mode[]) {
  t.test(`prune deletes what ostree prune deletes and prints the same (${mode})`, async (t) => {
    const dir = tmp(t)
    const h = ostreeHistory(dir, mode)
    // An orphan commit and a deleted branch give prune something to find.
    ostree(h.repo, "commit", "--orphan", `--tree=ref=${h.c1}`, "-s", "orphan", "--timestamp=2024-02-02")
    ostree(h.repo, "refs", "--delete", "other")
    for (const args of CASES) {
      const ours = copyRepo(h.repo, join(dir, `ours${args.join("")}`))
      const theirs = copyRepo(h.repo, join(dir, `theirs${args.join("")}`))
      const a = srepo(ours, "prune", ...args)
      const b = ostree(theirs, "prune", ...args)
      t.equal(a.status, 0, `strata prune ${args.join(" ")} ${a.stderr}`)
      t.equal(a.stdout, b.stdout, `prune ${args.join(" ")}: same report`)
      t.same(objectFiles(ours), objectFiles(theirs), `prune ${args.join(" ")}: same objects left`)
      const check = ostree(ours, "fsck")
      t.equal(check.status, 0, `ostree fsck after strata prune ${args.join(" ")} ${check.stderr}`)
    }
  })
}

t.test("prune --delete-commit: refused while a ref holds it; else deleted with a tombstone like ostree", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  let r = srepo(h.repo, "prune", `--delete-commit=${h.c2}`)
  t.equal(r.status, 2)
  t.equal(r.stderr, `strata: prune: commit '${h.c2}' is referenced by 'main'\n`)
  t.ok(existsSync(join(h.repo, "objects", h.c2.slice(0, 2), `${h.c2.slice(2)}.commit`)), "nothing deleted")
  const ours = copyRepo(h.repo, join(dir, "ours"))
  const theirs = copyRepo(h.repo, join(dir, "theirs"))
  r = srepo(ours, "prune", "--delete-commit=main^")
  const o = ostree(theirs, "prune", `--delete-commit=${h.c1}`)
  t.equal(r.stdout, o.stdout, "same report")
  t.same(objectFiles(ours), objectFiles(theirs), "same objects left, tombstone included")
  const tomb = join(ours, "objects", h.c1.slice(0, 2), `${h.c1.slice(2)}.tombstone-commit`)
  t.ok(readFileSync(tomb).equals(Buffer.from(tombstoneBytes(h.c1))), "tombstone bytes")
  t.ok(readFileSync(tomb).equals(readFileSync(join(theirs, "objects", h.c1.slice(0, 2), `${h.c1.slice(2)}.tombstone-commit`))), "equal to ostree's")
  t.match(readFileSync(join(ours, "config"), "utf8"), /tombstone-commits=true/, "tombstones enabled, as ostree does")
  t.equal(ostree(ours, "fsck").status, 0, "ostree fsck passes")
  t.equal(srepo(ours, "log", "main").stdout, ostree(ours, "log", "main").stdout, "history now ends early")
})

t.test("prune --no-prune predicts exactly what prune frees", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "bare")
  ostree(h.repo, "refs", "--delete", "other")
  ostree(h.repo, "reset", "main", "main^")
  const dry = await pruneRepo(h.repo, { refsOnly: true, noPrune: true })
  t.ok(dry.pruned > 0 && dry.freedBytes > 0, "c2's objects are unreachable")
  const before = objectFiles(h.repo).length
  const res = await pruneRepo(h.repo, { refsOnly: true })
  t.same(res, dry, "the dry run predicted it")
  t.equal(objectFiles(h.repo).length, before - res.pruned)
  t.equal((await pruneRepo(h.repo, { refsOnly: true })).pruned, 0, "idempotent")
})
