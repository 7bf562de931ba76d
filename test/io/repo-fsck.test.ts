import t from "tap"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { removeAttributeSync } from "@napi-rs/xattr"
import { fsckRepo } from "../../src/io/repo/fsck.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { setRef, withTransaction, writeContent, writeMetadata } from "../../src/io/repo/transaction.js"
import { serializeCommit, serializeDirmeta, serializeDirtree } from "../../src/formats/ostree/index.js"
import { strata, tmp } from "../helpers/tmp.js"
import { MODES, copyRepo, flipByte, makeTree, noise, objectFiles, ostree, ostreeHistory, srepo, type Mode } from "../helpers/repo-fixture.js"

/** A repo in `mode` written by strata itself: main with two commits. */
const strataRepo = (dir: string, mode: Mode): { repo: string; main: string } => {
  const repo = join(dir, `strata-${mode}`)
  const tree = makeTree(join(dir, `stree-${mode}`), mode !== "bare-user-only")
  srepo(repo, "init", `--mode=${mode}`)
  srepo(repo, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "one")
  writeFileSync(join(tree, "a.txt"), "two\n")
  const r = srepo(repo, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "two")
  if (r.status !== 0) throw new Error(r.stderr)
  return { repo, main: r.stdout.trim() }
}

/** The object file behind `path` in `rev` (content objects), via strata ls -C. */
const contentObject = (repo: string, rev: string, path: string): string => {
  const csum = srepo(repo, "ls", "-C", rev, path).stdout.split(" ").filter(Boolean)[4]!
  return objectFiles(repo).find((f) => f.replace("/", "").startsWith(`${csum}.file`))!
}

for (const mode of MODES) {
  t.test(`fsck passes clean repos, written by strata or ostree (${mode})`, async (t) => {
    const dir = tmp(t)
    const s = strataRepo(dir, mode)
    const h = ostreeHistory(dir, mode)
    for (const repo of [s.repo, h.repo]) {
      const r = srepo(repo, "fsck")
      t.equal(r.status, 0, `strata fsck ${repo} ${r.stderr}`)
      t.match(r.stdout, /object fsck of \d+ commits completed successfully - no errors found\.\n$/)
      t.equal(ostree(repo, "fsck").status, 0, "ostree agrees")
    }
    const report = await fsckRepo(await openRepo(h.repo))
    t.equal(report.commits, 3)
    t.equal(report.problems.length, 0)
    t.ok(report.contentChecked >= 9, "content objects checked")
  })

  t.test(`fsck reports a flipped byte in each object kind (${mode})`, async (t) => {
    const dir = tmp(t)
    const s = strataRepo(dir, mode)
    const kinds: Array<[string, (repo: string) => string]> = [
      ["commit", () => objectFiles(s.repo, "commit").find((f) => f.replace("/", "").startsWith(s.main))!],
      ["dirtree", (repo) => objectFiles(repo, "dirtree")[0]!],
      ["dirmeta", (repo) => objectFiles(repo, "dirmeta")[0]!],
      ["file", (repo) => contentObject(repo, "main", "/d2/bin.dat")],
      ["small file", (repo) => contentObject(repo, "main", "/a.txt")],
    ]
    for (const [kind, pick] of kinds) {
      const repo = copyRepo(s.repo, join(dir, `bad-${kind.replace(" ", "-")}`))
      const obj = pick(repo)
      // For archive content, flip a byte of the compressed payload, past the header.
      flipByte(join(repo, "objects", obj), kind.includes("file") && mode === "archive" ? readFileSync(join(repo, "objects", obj)).length - 3 : undefined)
      const r = srepo(repo, "fsck")
      const name = obj.replace("/", "").replace(".filez", ".file")
      t.equal(r.status, 4, `${kind}: Corrupt exit status`)
      t.match(r.stderr, new RegExp(`^error: ${name.replace(".", "\\.")}: corrupted: `, "m"), `${kind}: the object is named, with what is wrong`)
      t.match(r.stdout, /fsck found \d+ problems? \(1 corrupted/, `${kind}: summary line`)
      t.not(ostree(repo, "fsck", "-a").status, 0, `${kind}: ostree fsck also fails`)
    }
  })
}

t.test("fsck: bare-user object without its user.ostreemeta is corrupt", async (t) => {
  const s = strataRepo(tmp(t), "bare-user")
  const obj = contentObject(s.repo, "main", "/a.txt")
  removeAttributeSync(join(s.repo, "objects", obj), "user.ostreemeta")
  const r = srepo(s.repo, "fsck")
  t.equal(r.status, 4)
  t.match(r.stderr, /user\.ostreemeta/)
})

t.test("fsck: missing objects are reported with their commits, which get marked partial like ostree does", async (t) => {
  const h = ostreeHistory(tmp(t), "archive")
  const obj = contentObject(h.repo, "main", "/sub/run.sh") // shared by every commit
  rmSync(join(h.repo, "objects", obj))
  const report = await fsckRepo(await openRepo(h.repo))
  t.equal(report.problems.length, 1)
  const p = report.problems[0]!
  t.equal(p.kind, "missing")
  t.same(p.commits, [h.c1, h.c2, h.other].sort(), "every commit holding it")
  t.same(report.markedPartial, [h.c1, h.c2, h.other].sort())
  t.equal(readFileSync(join(h.repo, "state", `${h.c2}.commitpartial`), "utf8"), "f", "fsck reason, as ostree writes it")
  const again = srepo(h.repo, "fsck")
  t.equal(again.status, 4, "still an error on the next run")
  t.match(again.stderr, new RegExp(`${h.c2}\\.commit: marked partial by an earlier fsck`))
  t.not(ostree(h.repo, "fsck").status, 0, "ostree also fails on fsck-marked commits")
})

t.test("fsck: a commit left partial by a pull is skipped, not an error", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  const shallow = join(dir, "meta-only")
  ostree(shallow, "init", "--mode=archive")
  ostree(shallow, "pull-local", "--commit-metadata-only", h.repo, "main")
  const r = srepo(shallow, "fsck")
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, ostree(shallow, "fsck").stdout.replace("Validating refs in collections...\n", ""), "same report as ostree")
  t.match(r.stdout, /1 partial commits not verified/)
})

t.test("fsck: refs to missing or malformed commits", async (t) => {
  const h = ostreeHistory(tmp(t), "bare")
  writeFileSync(join(h.repo, "refs/heads/dangling"), `${"1".repeat(64)}\n`)
  writeFileSync(join(h.repo, "refs/heads/junk"), "not a checksum\n")
  const r = srepo(h.repo, "fsck")
  t.equal(r.status, 4)
  t.match(r.stderr, new RegExp(`^error: ref dangling: commit ${"1".repeat(64)} is missing$`, "m"))
  t.match(r.stderr, /^error: ref junk: does not hold a checksum$/m)
  t.match(r.stdout, /2 bad refs/)
})

t.test("fsck --delete removes corrupt objects; a re-pull repairs the repo", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  const repo = copyRepo(h.repo, join(dir, "victim"))
  const obj = contentObject(repo, "main", "/a.txt")
  flipByte(join(repo, "objects", obj), readFileSync(join(repo, "objects", obj)).length - 2)
  const r = srepo(repo, "fsck", "--delete")
  t.equal(r.status, 4)
  t.match(r.stderr, /corrupted: .*; deleted$/m)
  t.notOk(existsSync(join(repo, "objects", obj)), "object removed")
  t.ok(existsSync(join(repo, "state", `${h.c2}.commitpartial`)), "its commit marked partial")
  const pull = srepo(repo, "pull-local", h.repo, "main")
  t.equal(pull.status, 0, pull.stderr)
  t.ok(existsSync(join(repo, "objects", obj)), "object fetched again")
  t.notOk(existsSync(join(repo, "state", `${h.c2}.commitpartial`)), "partial marker cleared")
  t.equal(srepo(repo, "fsck").status, 0, "clean again")
})

t.test("fsck on the worker pool and through the streaming path reports the same problems", async (t) => {
  const dir = tmp(t)
  const tree = makeTree(join(dir, "tree"))
  writeFileSync(join(tree, "large.bin"), noise(3 << 20, 7)) // above the one-piece inflate limit
  for (const mode of ["archive", "bare-user"] as Mode[]) {
    const repo = join(dir, mode)
    srepo(repo, "init", `--mode=${mode}`)
    t.equal(srepo(repo, "commit", "-b", "main", `--tree=dir=${tree}`).status, 0)
    const pooled = (args: string[] = []): ReturnType<typeof srepo> =>
      strata(["repo", `--repo=${repo}`, "fsck", ...args], { env: { STRATA_POOL_MIN_FILES: "1", STRATA_WORKERS: "2" } })
    t.equal(pooled().status, 0, `${mode}: clean on the pool`)
    for (const path of ["/large.bin", "/a.txt"]) {
      const obj = contentObject(repo, "main", path)
      const len = readFileSync(join(repo, "objects", obj)).length
      flipByte(join(repo, "objects", obj), len > 200 ? len - 100 : len - 1)
    }
    const inline = srepo(repo, "fsck")
    const pool = pooled()
    t.equal(pool.status, 4, `${mode}: both corruptions found on the pool`)
    t.equal(pool.stderr, inline.stderr, `${mode}: same report as inline`)
    t.equal(pool.stderr.split("\n").filter((l) => l.includes("corrupted")).length, 2)
  }
})

t.test("fsck: a well-hashed but hostile dirtree (an entry named '..') is reported as corrupt", async (t) => {
  const dir = tmp(t)
  const repoPath = join(dir, "repo")
  srepo(repoPath, "init", "--mode=archive")
  const repo = await openRepo(repoPath)
  const [commit] = await withTransaction(repo, async (txn) => {
    const file = await writeContent(txn, { uid: 0, gid: 0, mode: 0o100644, symlinkTarget: "", xattrs: [] }, Buffer.from("x\n"))
    const meta = await writeMetadata(txn, "dirmeta", serializeDirmeta({ uid: 0, gid: 0, mode: 0o40755, xattrs: [] }))
    // serializeDirtree does not validate; the parser must.
    const tree = await writeMetadata(txn, "dirtree", serializeDirtree({ files: [{ name: "..", checksum: file }], dirs: [] }))
    const c = await writeMetadata(txn, "commit", serializeCommit({ metadata: [], parent: null, subject: "evil", body: "", timestamp: 0n, rootTree: tree, rootMeta: meta }))
    setRef(txn, "evil", c)
    return c
  })
  const r = srepo(repoPath, "fsck")
  t.equal(r.status, 4)
  t.match(r.stderr, /\.dirtree: corrupted: .*forbidden filename "\.\."/, "names the dirtree and the rule it breaks")
  t.match(r.stderr, commit, "and the commit holding it")
})
