import t from "tap"
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, statSync, lstatSync } from "node:fs"
import { join } from "node:path"
import { spawn } from "node:child_process"
import { tmp, sh, strata, ostreeContentChecksum } from "../helpers/tmp.js"
import { makeTree, describeTree } from "../helpers/tree.js"
import { initRepo, openRepo, type RepoMode } from "../../src/io/repo/repo.js"
import { commitTree } from "../../src/io/repo/commit.js"
import { checkout } from "../../src/io/repo/checkout.js"
import { withTransaction, writeMetadata, setRef } from "../../src/io/repo/transaction.js"
import { objectPath } from "../../src/io/repo/object-read.js"
import { RepoError } from "../../src/io/repo/error.js"
import { lockFile } from "../../src/io/repo/syscalls.js"
import { serialize } from "../../src/formats/gvariant/index.js"
import { serializeCommit, serializeDirmeta, toBytes } from "../../src/formats/ostree/index.js"

const modes: RepoMode[] = ["bare", "bare-user", "bare-user-only", "archive"]
const TS = "2024-02-03 04:05:06"

for (const mode of modes) {
  t.test(`${mode}: strata and ostree agree, and each reads the other's commits`, async (t) => {
    const dir = tmp(t)
    const input = join(dir, "input")
    // bare keeps ownership and setuid; bare-user keeps them in user.ostreemeta; bare-user-only drops them.
    const ownership = mode === "bare" || mode === "bare-user" || mode === "archive"
    const xattrs = mode !== "bare-user-only"
    makeTree(input, { ownership, xattrs })
    const ours = join(dir, "strata-repo")
    const theirs = join(dir, "ostree-repo")
    t.equal(strata(["repo", `--repo=${ours}`, "init", `--mode=${mode}`]).status, 0)
    sh("ostree", [`--repo=${theirs}`, "init", `--mode=${mode}`])
    const args = ["-b", "main", `--tree=dir=${input}`, "-s", "subject", `--timestamp=${TS}`, "--add-metadata-string=version=1.2"]
    const r = strata(["repo", `--repo=${ours}`, "commit", ...args])
    t.equal(r.status, 0, r.stderr)
    const oursCsum = r.stdout.trim()
    const theirsCsum = sh("ostree", [`--repo=${theirs}`, "commit", ...args]).trim()
    t.equal(oursCsum, theirsCsum, "same commit checksum as ostree commit")
    t.equal(ostreeContentChecksum(ours, "main"), ostreeContentChecksum(theirs, "main"), "same ContentChecksum")
    t.match(sh("ostree", [`--repo=${ours}`, "fsck"]), /no errors found/, "ostree fsck passes on the strata repo")
    t.equal(sh("ostree", [`--repo=${ours}`, "rev-parse", "main"]).trim(), oursCsum, "ostree reads strata's ref")

    const userMode = mode !== "bare"
    const expect = describeTree(input, { owners: !userMode || mode === "archive" ? true : true, xattrs })
    // ostree checks out a strata commit …
    const co1 = join(dir, "co-ostree")
    sh("ostree", [`--repo=${ours}`, "checkout", ...(mode === "bare-user-only" ? ["-U"] : []), "main", co1])
    t.same(describeTree(co1, { xattrs }), expect, "ostree checkout of the strata commit reproduces the input")
    // … and strata checks out an ostree commit.
    const co2 = join(dir, "co-strata")
    const c = strata(["repo", `--repo=${theirs}`, "checkout", ...(mode === "bare-user-only" ? ["-U"] : []), "main", co2])
    t.equal(c.status, 0, c.stderr)
    t.same(describeTree(co2, { xattrs }), expect, "strata checkout of the ostree commit reproduces the input")
    if (mode === "bare") {
      const co3 = join(dir, "co-hardlink")
      t.equal(strata(["repo", `--repo=${theirs}`, "checkout", "-H", "main", co3]).status, 0)
      t.same(describeTree(co3, { xattrs }), expect, "checkout -H reproduces the input")
      t.equal(statSync(join(co3, "etc/config")).ino, statSync(objectPath(await openRepo(theirs), sh("ostree", [`--repo=${theirs}`, "ls", "-C", "main", "/etc/config"]).trim().split(/\s+/)[4]!, "file")).ino, "checkout -H hardlinks the object")
    }
    if (mode === "archive") {
      const h = strata(["repo", `--repo=${ours}`, "checkout", "-H", "main", join(dir, "nope")])
      t.not(h.status, 0, "-H is refused on an archive repo")
      t.equal(h.stderr.trim().split("\n").length, 1, "with one line")
    }
  })
}

t.test("hardlinked and identical inputs are stored once", async (t) => {
  const dir = tmp(t)
  makeTree(join(dir, "in"))
  const repo = await initRepo({ path: join(dir, "repo"), mode: "archive" })
  const res = await commitTree(repo, { branch: "x", trees: [{ dir: join(dir, "in") }], timestamp: 1n })
  // tool + tool-hardlink share one object; dup1 + dup2 share one object.
  const files = readdirSync(join(dir, "repo/objects"), { recursive: true }).filter((n) => String(n).endsWith(".filez"))
  t.equal(res.stats.contentWritten, files.length)
  const entries = describeTree(join(dir, "in")).filter((e) => e.type !== "d")
  t.equal(files.length, entries.length - 2, "two duplicate inputs, two fewer objects")
})

t.test("--tree overlays, subpath, union checkouts and parents", async (t) => {
  const dir = tmp(t)
  const a = join(dir, "a"), b = join(dir, "b")
  mkdirSync(join(a, "x"), { recursive: true })
  mkdirSync(join(b, "x"), { recursive: true })
  writeFileSync(join(a, "x/one"), "a1")
  writeFileSync(join(a, "keep"), "a")
  writeFileSync(join(b, "x/one"), "b1")
  writeFileSync(join(b, "x/two"), "b2")
  const repo = await initRepo({ path: join(dir, "repo"), mode: "bare-user-only" })
  const c1 = await commitTree(repo, { branch: "m", trees: [{ dir: a }], timestamp: 10n })
  const c2 = await commitTree(repo, { branch: "m", trees: [{ ref: "m" }, { dir: b }], timestamp: 20n })
  const out = join(dir, "out")
  await checkout(repo, { rev: "m", destination: out, userMode: true })
  t.equal(readFileSync(join(out, "x/one"), "utf8"), "b1", "later tree wins")
  t.equal(readFileSync(join(out, "keep"), "utf8"), "a", "earlier tree kept")
  const sub = join(dir, "sub")
  await checkout(repo, { rev: "m", destination: sub, userMode: true, subpath: "/x" })
  t.same(readdirSync(sub).sort(), ["one", "two"])
  await checkout(repo, { rev: c1.commit, destination: sub, userMode: true, subpath: "/x", union: true })
  t.equal(readFileSync(join(sub, "one"), "utf8"), "a1", "--union overwrote")
  await t.rejects(checkout(repo, { rev: "m", destination: sub, userMode: true }), RepoError, "existing destination without --union")
  t.equal(sh("ostree", [`--repo=${join(dir, "repo")}`, "rev-parse", "m^"]).trim(), c1.commit, "parent recorded")
  t.not(c2.commit, c1.commit)
})

t.test("bad input: one clear error line, non-zero exit, nothing half-written", async (t) => {
  const dir = tmp(t)
  const input = join(dir, "in")
  makeTree(input)
  const repoPath = join(dir, "repo")
  t.equal(strata(["repo", `--repo=${repoPath}`, "init", "--mode=archive"]).status, 0)
  const first = strata(["repo", `--repo=${repoPath}`, "commit", "-b", "main", `--tree=dir=${input}`])
  t.equal(first.status, 0)
  const csum = first.stdout.trim()
  const repo = await openRepo(repoPath)

  const missing = strata(["repo", `--repo=${repoPath}`, "checkout", "nosuchref", join(dir, "x")])
  t.not(missing.status, 0)
  t.match(missing.stderr, /^strata: .*nosuchref.*not found\n$/, "missing ref: one line")

  // A ref pointing at an object that is not there.
  writeFileSync(join(repoPath, "refs/heads/dangling"), "ab".repeat(32) + "\n")
  const dangling = strata(["repo", `--repo=${repoPath}`, "checkout", "dangling", join(dir, "y")])
  t.not(dangling.status, 0)
  t.match(dangling.stderr, /^strata: .*no such commit object a{0}b?/, "dangling ref: clear error")
  t.equal(dangling.stderr.trim().split("\n").length, 1)
  t.notOk(existsSync(join(dir, "y")), "nothing checked out")

  // A flipped byte in a content object is refused by checkout.
  const obj = readdirSync(join(repoPath, "objects"), { recursive: true }).map(String).find((n) => n.endsWith(".filez"))!
  const p = join(repoPath, "objects", obj)
  const bytes = readFileSync(p)
  bytes[bytes.length - 1] ^= 0xff
  writeFileSync(p, bytes)
  const corrupt = strata(["repo", `--repo=${repoPath}`, "checkout", "main", join(dir, "z")])
  t.not(corrupt.status, 0, "checkout refuses a corrupted object")
  t.match(corrupt.stderr, /corrupt/i)
  t.equal(corrupt.stderr.trim().split("\n").length, 1)
  t.notOk(existsSync(join(dir, "z")), "a failed copy checkout leaves nothing behind")

  // A dirtree naming ".." (hand-made, hostile) is refused.
  const evil = await withTransaction(repo, async (txn) => {
    const meta = await writeMetadata(txn, "dirmeta", serializeDirmeta({ uid: 0, gid: 0, mode: 0o40755, xattrs: [] }))
    const tree = await writeMetadata(txn, "dirtree", serialize("(a(say)a(sayay))", [[], [["..", toBytes(csum.slice(0, 0) || "00".repeat(32)), toBytes(meta)]]]))
    const c = await writeMetadata(txn, "commit", serializeCommit({ metadata: [], parent: null, subject: "", body: "", timestamp: 0n, rootTree: tree, rootMeta: meta }))
    setRef(txn, "evil", c)
    return c
  })
  const hostile = strata(["repo", `--repo=${repoPath}`, "checkout", "evil", join(dir, "evil")])
  t.not(hostile.status, 0, "hostile dirtree refused")
  t.match(hostile.stderr, /forbidden filename "\.\."/)
  t.notOk(existsSync(join(dir, "evil")), "nothing created")
  t.ok(evil)

  // A failing commit leaves no objects, no staging and no ref behind.
  const before = readdirSync(join(repoPath, "objects"), { recursive: true }).length
  writeFileSync(join(input, "new-file"), "new content\n")
  const failed = strata(["repo", `--repo=${repoPath}`, "commit", "-b", "main", `--tree=dir=${input}`], { env: { STRATA_TEST_ERROR: "pre-commit" } })
  t.not(failed.status, 0)
  t.equal(readdirSync(join(repoPath, "objects"), { recursive: true }).length, before, "no objects added")
  t.same(readdirSync(join(repoPath, "tmp")).filter((n) => n.startsWith("staging-")), [], "no staging left")
  t.equal(readFileSync(join(repoPath, "refs/heads/main"), "utf8").trim(), csum, "ref unchanged")

  const badMode = strata(["repo", `--repo=${join(dir, "r2")}`, "init", "--mode=weird"])
  t.equal(badMode.status, 2)
  t.match(badMode.stderr, /unknown repo mode "weird"/)
  writeFileSync(join(dir, "notrepo-config"), "")
  const notRepo = strata(["repo", `--repo=${dir}`, "refs"])
  t.not(notRepo.status, 0)
  t.match(notRepo.stderr, /not an ostree repository/)
})

t.test("two processes committing at once leave a consistent repo", async (t) => {
  const dir = tmp(t)
  const repoPath = join(dir, "repo")
  sh("ostree", [`--repo=${repoPath}`, "init", "--mode=archive"])
  const inputs = [0, 1, 2, 3].map((i) => {
    const d = join(dir, `in${i}`)
    makeTree(d)
    writeFileSync(join(d, "unique"), `tree ${i}\n`)
    return d
  })
  const run = (i: number) =>
    new Promise<string>((resolve) => {
      const p = spawn(process.execPath, [join(process.cwd(), "bin/strata.js"), "repo", `--repo=${repoPath}`, "commit", "-b", `b${i}`, `--tree=dir=${inputs[i]}`], { stdio: ["ignore", "ignore", "pipe"] })
      let err = ""
      p.stderr.on("data", (d) => (err += d))
      p.on("exit", (code) => resolve(`${code}${err ? ` ${err.trim()}` : ""}`))
    })
  t.same(await Promise.all([0, 1, 2, 3].map(run)), ["0", "0", "0", "0"], "all four commits succeed")
  t.match(sh("ostree", [`--repo=${repoPath}`, "fsck"]), /no errors found/)
  t.same(sh("ostree", [`--repo=${repoPath}`, "refs"]).trim().split("\n").sort(), ["b0", "b1", "b2", "b3"])
})

t.test("the worker pool and the in-process importer store identical repos", async (t) => {
  for (const mode of modes) {
    const dir = tmp(t)
    const input = join(dir, "in")
    makeTree(input, { ownership: mode !== "bare-user-only", xattrs: mode !== "bare-user-only" })
    for (let i = 0; i < 300; i++) writeFileSync(join(input, `usr/share/f${i}`), `file ${i % 50}\n`)
    const commits = []
    for (const env of [{ STRATA_WORKERS: "1" }, { STRATA_WORKERS: "2", STRATA_POOL_MIN_FILES: "1" }] as Array<Record<string, string>>) {
      const repo = join(dir, `repo-${env.STRATA_WORKERS}`)
      t.equal(strata(["repo", `--repo=${repo}`, "init", `--mode=${mode}`]).status, 0)
      const r = strata(["repo", `--repo=${repo}`, "commit", "-b", "m", `--tree=dir=${input}`, "--timestamp=@1000"], { env })
      t.equal(r.status, 0, r.stderr)
      commits.push(r.stdout.trim())
      t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/, `${mode} with ${env.STRATA_WORKERS} worker(s): ostree fsck clean`)
      t.same(readdirSync(join(repo, "tmp")).filter((n) => n.startsWith("staging-")), [], "staging removed")
    }
    t.equal(commits[0], commits[1], `${mode}: same commit either way`)
    if (mode === "bare") {
      const pool = { STRATA_WORKERS: "2", STRATA_POOL_MIN_FILES: "1" }
      const repo = join(dir, "repo-2")
      const co = join(dir, "co-pool")
      t.equal(strata(["repo", `--repo=${repo}`, "checkout", "-H", "m", co], { env: pool }).status, 0)
      t.same(describeTree(co, { xattrs: true }), describeTree(input, { xattrs: true }), "pool-verified checkout -H reproduces the input")
      const obj = readdirSync(join(repo, "objects"), { recursive: true }).map(String).find((n) => n.endsWith(".file") && lstatSync(join(repo, "objects", n)).isFile() && lstatSync(join(repo, "objects", n)).size > 100)!
      const p = join(repo, "objects", obj)
      const bytes = readFileSync(p)
      bytes[0] ^= 1
      writeFileSync(p, bytes)
      const bad = strata(["repo", `--repo=${repo}`, "checkout", "-H", "m", join(dir, "co-bad")], { env: pool })
      t.not(bad.status, 0, "a corrupted object is refused by the pool verifier")
      t.match(bad.stderr, /^strata: .*corrupted: checksum mismatch\n$/)
      t.notOk(existsSync(join(dir, "co-bad")), "nothing created")
    }
  }
})

t.test("the repo lock is the one ostree takes: strata's exclusive lock keeps ostree out", async (t) => {
  const dir = tmp(t)
  const repoPath = join(dir, "repo")
  sh("ostree", [`--repo=${repoPath}`, "init", "--mode=archive"])
  sh("ostree", [`--repo=${repoPath}`, "config", "set", "core.lock-timeout-secs", "0"])
  const lock = await lockFile(join(repoPath, ".lock"), { exclusive: true, op: "test" })
  t.throws(() => sh("ostree", [`--repo=${repoPath}`, "prune", "--refs-only"]), /Locking repo exclusive failed/, "ostree prune is refused while strata holds the lock")
  const second = await lockFile(join(repoPath, ".lock"), { exclusive: false, waitSec: 0, op: "second" }).then(() => undefined, (e: RepoError) => e)
  t.equal(second?.reason, "Locked", "a second strata locker is refused too")
  await lock.release()
  t.doesNotThrow(() => sh("ostree", [`--repo=${repoPath}`, "prune", "--refs-only"]), "after release ostree gets the lock")
})

t.test("hardlink checkouts skip re-hashing unchanged objects, and still refuse modified ones", async (t) => {
  for (const env of [{}, { STRATA_WORKERS: "2", STRATA_POOL_MIN_FILES: "1" }] as Array<Record<string, string>>) {
    const dir = tmp(t)
    const input = join(dir, "in")
    makeTree(input, { ownership: true, xattrs: true })
    const repoPath = join(dir, "repo")
    t.equal(strata(["repo", `--repo=${repoPath}`, "init", "--mode=bare"]).status, 0)
    t.equal(strata(["repo", `--repo=${repoPath}`, "commit", "-b", "m", `--tree=dir=${input}`], { env }).status, 0)
    const cache = readFileSync(join(repoPath, "extensions/strata/verified-objects"))
    const objects = readdirSync(join(repoPath, "objects"), { recursive: true }).map(String).filter((n) => n.endsWith(".file"))
    t.equal(cache.length, objects.length * 68, "the commit recorded every content object it wrote as verified")
    const co = join(dir, "co")
    t.equal(strata(["repo", `--repo=${repoPath}`, "checkout", "-H", "m", co], { env }).status, 0)
    t.same(describeTree(co, { xattrs: true }), describeTree(input, { xattrs: true }), "checkout from the cache reproduces the input")
    // Modify an object in place (same inode): its ctime moves, so the cache entry no longer applies.
    const victim = objects.map((n) => join(repoPath, "objects", n)).find((p) => lstatSync(p).isFile() && lstatSync(p).size > 100)!
    const bytes = readFileSync(victim)
    bytes[10] ^= 0x20
    writeFileSync(victim, bytes)
    const bad = strata(["repo", `--repo=${repoPath}`, "checkout", "-H", "m", join(dir, "co-bad")], { env })
    t.not(bad.status, 0, "a modified object is re-verified and refused")
    t.match(bad.stderr, /corrupted: checksum mismatch/)
    t.notOk(existsSync(join(dir, "co-bad")), "nothing created")
  }
})

t.test("--link-checkout-speedup: a hardlink checkout, changed, commits as ostree commits it, without reading the linked files", async (t) => {
  const { rmSync, unlinkSync } = await import("node:fs")
  const { scanDevino } = await import("../../src/io/repo/devino.js")
  const dir = tmp(t)
  const input = join(dir, "in")
  makeTree(input, { ownership: true, xattrs: true })
  const repoPath = join(dir, "repo")
  sh("ostree", [`--repo=${repoPath}`, "init", "--mode=bare"])
  sh("ostree", [`--repo=${repoPath}`, "commit", "-b", "base", `--tree=dir=${input}`, `--timestamp=${TS}`])
  const co = join(dir, "co")
  sh("ostree", [`--repo=${repoPath}`, "checkout", "-H", "base", co])
  // Change the checkout the way layering does: a new file, a replaced file, a removed one.
  mkdirSync(join(co, "usr/share/layered"), { recursive: true })
  writeFileSync(join(co, "usr/share/layered/new"), "layered\n")
  const files = readdirSync(co, { recursive: true }).map(String).filter((p) => lstatSync(join(co, p)).isFile() && lstatSync(join(co, p)).nlink > 1)
  const [replaced, removed] = files
  rmSync(join(co, replaced!))
  writeFileSync(join(co, replaced!), "replaced\n")
  unlinkSync(join(co, removed!))
  const linkedBefore = readdirSync(co, { recursive: true }).map(String).filter((p) => lstatSync(join(co, p)).nlink > 1 && !lstatSync(join(co, p)).isDirectory()).length

  const repo = await openRepo(repoPath)
  const devino = scanDevino(repo)
  t.ok(devino.size > 0, "the scan found the bare repo's objects")
  const fast = await commitTree(repo, { branch: "fast", trees: [{ dir: co }], timestamp: 1706933106n, devino })
  t.ok(fast.linked > 0 && fast.linked <= linkedBefore, `${fast.linked} linked files were taken from the cache`)
  const slow = await commitTree(repo, { branch: "slow", trees: [{ dir: co }], timestamp: 1706933106n })
  t.equal(slow.linked, 0)
  t.equal(ostreeContentChecksum(repoPath, fast.commit), ostreeContentChecksum(repoPath, slow.commit), "the same tree with and without the cache")
  const ostreeCommit = sh("ostree", [`--repo=${repoPath}`, "commit", "-b", "by-ostree", `--tree=dir=${co}`, "--link-checkout-speedup", `--timestamp=${TS}`, "--no-bindings"]).trim()
  t.equal(ostreeContentChecksum(repoPath, ostreeCommit), ostreeContentChecksum(repoPath, fast.commit), "the same tree ostree commits with its devino cache")
  t.doesNotThrow(() => sh("ostree", [`--repo=${repoPath}`, "fsck"]), "ostree fsck is clean")
  // Rewriting owners makes the objects' own metadata wrong for the commit: no cache then.
  const owned = await commitTree(repo, { branch: "owned", trees: [{ dir: co }], ownerUid: 0, ownerGid: 0, devino })
  t.equal(owned.linked, 0, "--owner-uid disables it")
  // the CLI flag
  const cli = strata(["repo", `--repo=${repoPath}`, "commit", "-b", "cli", `--tree=dir=${co}`, "--link-checkout-speedup", `--timestamp=${TS}`])
  t.equal(cli.status, 0, cli.stderr)
  t.equal(ostreeContentChecksum(repoPath, cli.stdout.trim()), ostreeContentChecksum(repoPath, fast.commit))
})

t.test("checkout reproduces every directory mode: setgid (inherited by mkdir), sticky, read-only, group-writable", async (t) => {
  const dir = tmp(t)
  const input = join(dir, "in")
  const modes: Array<[string, number]> = [["sg", 0o2775], ["sg/child", 0o755], ["sg/child/deeper", 0o700], ["sticky", 0o1777], ["ro", 0o555], ["gw", 0o775], ["gw/plain", 0o755]]
  for (const [p] of modes) mkdirSync(join(input, p), { recursive: true })
  writeFileSync(join(input, "ro/file"), "x\n")
  for (const [p, m] of [...modes].reverse()) chmodSync(join(input, p), m)
  const repoPath = join(dir, "repo")
  t.equal(strata(["repo", `--repo=${repoPath}`, "init", "--mode=bare"]).status, 0)
  t.equal(strata(["repo", `--repo=${repoPath}`, "commit", "-b", "m", `--tree=dir=${input}`]).status, 0)
  for (const args of [["-H"], []]) {
    const co = join(dir, `co${args.join("")}`)
    const r = strata(["repo", `--repo=${repoPath}`, "checkout", ...args, "m", co])
    t.equal(r.status, 0, r.stderr)
    for (const [p, m] of modes) t.equal(statSync(join(co, p)).mode & 0o7777, m, `${args.join(" ") || "copy"}: ${p} is ${m.toString(8)}`)
  }
})
