/**
 * The dirtrees a checkout verified are not read again by a traversal in the same process
 * (traverse.ts rememberDirtrees): a deploy's prune walks the tree its checkout just read. The
 * reachable set is the one a fresh traversal finds; a dirtree the checkout did not read (another
 * commit, another repo) is read and verified as before.
 */
import t from "tap"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { flipByte, makeTree, ostree } from "../helpers/repo-fixture.js"
import { checkout } from "../../src/io/repo/checkout.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { emptyReachable, forgetDirtrees, traverseCommit } from "../../src/io/repo/traverse.js"

const setup = (dir: string) => {
  const repo = join(dir, "repo")
  mkdirSync(dir, { recursive: true })
  ostree(repo, "init", "--mode=bare")
  const tree = makeTree(join(dir, "tree"))
  for (let i = 0; i < 5; i++) {
    mkdirSync(join(tree, `more/d${i}`), { recursive: true })
    writeFileSync(join(tree, `more/d${i}/f`), String(i))
  }
  const c = ostree(repo, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "one").stdout.trim()
  return { repo, c, tree }
}

const failure = (p: Promise<void>): Promise<string | undefined> => p.then(() => undefined, (e: { reason?: string }) => e.reason)

const dirtreeFiles = (r: ReturnType<typeof emptyReachable>): string[] => [...r.objects].filter((k) => k.endsWith("dirtree"))

t.test("after a checkout, a traversal finds the same objects without reading the dirtrees", async (t) => {
  t.teardown(forgetDirtrees)
  const dir = tmp(t)
  const { repo: path, c } = setup(dir)
  const repo = await openRepo(path)
  forgetDirtrees()
  const fresh = emptyReachable()
  await traverseCommit(repo, c, 0, fresh)
  await checkout(repo, { rev: c, destination: join(dir, "co") })
  // damage every dirtree: only a traversal that reads them can notice
  const damaged = dirtreeFiles(fresh).map((k) => {
    const [csum] = k.split(".")
    const p = join(path, "objects", csum!.slice(0, 2), `${csum!.slice(2)}.dirtree`)
    flipByte(p, 0)
    return p
  })
  t.ok(damaged.length > 3, "the tree has several dirtrees")
  const memo = emptyReachable()
  await traverseCommit(repo, c, 0, memo)
  t.same([...memo.objects].sort(), [...fresh.objects].sort(), "the same reachable set, from what the checkout verified")
  forgetDirtrees()
  t.equal(await failure(traverseCommit(repo, c, 0, emptyReachable())), "Corrupt", "without it, the dirtrees are read and verified")
})

t.test("another repository's traversal reads its own dirtrees", async (t) => {
  t.teardown(forgetDirtrees)
  const dir = tmp(t)
  const a = setup(join(dir, "a"))
  const b = setup(join(dir, "b"))
  const repoA = await openRepo(a.repo)
  const repoB = await openRepo(b.repo)
  await checkout(repoA, { rev: a.c, destination: join(dir, "co") })
  const fresh = emptyReachable()
  await traverseCommit(repoB, b.c, 0, fresh)
  for (const k of dirtreeFiles(fresh)) {
    const [csum] = k.split(".")
    flipByte(join(b.repo, "objects", csum!.slice(0, 2), `${csum!.slice(2)}.dirtree`), 0)
  }
  t.equal(await failure(traverseCommit(repoB, b.c, 0, emptyReachable())), "Corrupt", "repo b's damaged dirtrees are noticed")
})
