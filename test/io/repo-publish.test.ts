/**
 * How a committed transaction moves its staged objects into `objects/` (transaction.ts
 * publishStaged): a staged `XX/` is renamed whole when `objects/XX` is missing or empty and the
 * directory holds exactly what was staged; otherwise objects move one by one. Either way every
 * object ends up readable, old objects stay, and nothing unstaged is published.
 */
import t from "tap"
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import type { FileMeta } from "../../src/formats/ostree/index.js"
import { initRepo } from "../../src/io/repo/repo.js"
import { beginTransaction, checksumContent, commitTransaction, writeContent } from "../../src/io/repo/transaction.js"

const meta: FileMeta = { uid: 0, gid: 0, mode: 0o100644, symlinkTarget: "", xattrs: [] }

/** `n` distinct contents whose checksums start with `prefix`. */
const contentsIn = (prefix: string, n: number, salt: string): Buffer[] => {
  const out: Buffer[] = []
  for (let i = 0; out.length < n; i++) {
    const data = Buffer.from(`${salt} ${i}\n`)
    if (checksumContent(meta, data).startsWith(prefix)) out.push(data)
  }
  return out
}

const objectFile = (repo: string, data: Buffer): string => {
  const c = checksumContent(meta, data)
  return join(repo, "objects", c.slice(0, 2), `${c.slice(2)}.file`)
}

t.test("a first commit renames whole prefix dirs; a later one adds objects beside them", async (t) => {
  const repo = await initRepo({ path: join(tmp(t), "repo"), mode: "bare-user-only" })
  const first = contentsIn("ab", 3, "first")
  const txn = await beginTransaction(repo)
  for (const d of first) await writeContent(txn, meta, d)
  const stagedDir = statSync(join(txn.staging, "ab")).ino
  await commitTransaction(txn)
  t.equal(statSync(join(repo.path, "objects", "ab")).ino, stagedDir, "the staged directory became objects/ab")
  for (const d of first) t.same(readFileSync(objectFile(repo.path, d)), d)
  const umask = process.umask()
  t.equal(statSync(join(repo.path, "objects", "ab")).mode & 0o777, 0o775 & ~umask, "objects/ab has the mode mkdir would give it")
  t.notOk(existsSync(txn.staging), "the staging dir is gone")

  const second = contentsIn("ab", 2, "second")
  const txn2 = await beginTransaction(repo)
  for (const d of second) await writeContent(txn2, meta, d)
  await commitTransaction(txn2)
  for (const d of [...first, ...second]) t.same(readFileSync(objectFile(repo.path, d)), d, "old and new objects are all there")
  t.equal(readdirSync(join(repo.path, "objects", "ab")).length, 5)
})

t.test("an empty objects/XX is replaced; a file the transaction did not stage is never published", async (t) => {
  const repo = await initRepo({ path: join(tmp(t), "repo"), mode: "bare-user-only" })
  mkdirSync(join(repo.path, "objects", "cd"), { mode: 0o775 })
  const [a, b] = contentsIn("cd", 2, "x")
  const [e] = contentsIn("ef", 1, "y")
  const txn = await beginTransaction(repo)
  await writeContent(txn, meta, a!)
  await writeContent(txn, meta, b!)
  await writeContent(txn, meta, e!)
  const stagedCd = statSync(join(txn.staging, "cd")).ino
  // Something in a staged prefix dir that no write recorded (a leftover): ef/ must move object by object.
  writeFileSync(join(txn.staging, "ef", "stray.file"), "not an object")
  await commitTransaction(txn)
  t.equal(statSync(join(repo.path, "objects", "cd")).ino, stagedCd, "the empty objects/cd was replaced by the staged one")
  for (const d of [a!, b!, e!]) t.same(readFileSync(objectFile(repo.path, d)), d)
  t.same(readdirSync(join(repo.path, "objects", "ef")), [`${checksumContent(meta, e!).slice(2)}.file`], "the stray file stayed behind")
})
