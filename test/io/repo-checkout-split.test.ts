/**
 * Hardlink checkouts written on two threads (checkout-split.ts): the split covers every directory
 * exactly once, the result is the same tree as a one-thread checkout and as ostree's (read-only,
 * setgid and sticky directories above the worker's subtrees included), --union works across
 * the split, and a failure on either thread comes back as one RepoError.
 */
import t from "tap"
import { chmodSync, mkdirSync, writeFileSync, symlinkSync, existsSync } from "node:fs"
import { join } from "node:path"
import { tmp, sh, strata } from "../helpers/tmp.js"
import { describeTree } from "../helpers/tree.js"
import { splitPlan, checkoutSplit, startWriter, type Writer } from "../../src/io/repo/checkout-split.js"
import type { PlannedDir, WriteCtx } from "../../src/io/repo/checkout-write.js"
import { RepoError } from "../../src/io/repo/error.js"

const SPLIT = { STRATA_WORKERS: "2", STRATA_POOL_MIN_FILES: "1" }

const meta = (mode = 0o40755) => ({ uid: 0, gid: 0, mode, xattrs: [] })
const node = (files: number, dirs: Array<[string, PlannedDir]> = [], mode?: number): PlannedDir => ({
  tree: { files: Array.from({ length: files }, (_, i) => ({ name: `f${i}`, checksum: "ab".repeat(32) })), dirs: [] },
  meta: meta(mode),
  dirs,
})

/** Every directory path of a plan below `dest`. */
const allDirs = (p: PlannedDir, dest: string): string[] => [dest, ...p.dirs.flatMap(([n, d]) => allDirs(d, `${dest}/${n}`))]

t.test("splitPlan: the worker's subtrees and the main thread's part cover every directory once", async (t) => {
  const shared = node(5, [["x", node(1)]])
  const plan = node(3, [
    ["big", node(10, [["a", node(400, [["deep", node(50)]])], ["b", node(300)], ["c", shared]])],
    ["mid", node(200, [["s", shared]])],
    ["small", node(2)],
    ["empty", node(0)],
  ])
  const { roots, above } = splitPlan(plan, "/d")
  t.ok(roots.length > 0, "the worker gets something")
  t.equal(above[0]!.dest, "/d", "the destination is made first")
  t.ok(above[0]!.top && above.slice(1).every((a) => !a.top))
  const worker = new Set(roots.flatMap((r) => allDirs(r.plan, r.dest)))
  const rootSet = new Set(roots.map((r) => r.dest))
  const main: string[] = []
  const walk = (p: PlannedDir, d: string): void => {
    main.push(d)
    for (const [n, s] of p.dirs) if (!rootSet.has(`${d}/${n}`)) walk(s, `${d}/${n}`)
  }
  walk(plan, "/d")
  const every = allDirs(plan, "/d")
  t.same([...main, ...worker].sort(), [...every].sort(), "each directory is written by exactly one thread")
  for (const a of above) t.ok(main.includes(a.dest), `${a.dest}, made first, is the main thread's`)
  for (const r of roots) t.ok(above.some((a) => r.dest.startsWith(`${a.dest}/`) && !r.dest.slice(a.dest.length + 1).includes("/")), `${r.dest}'s parent is made first`)
  t.ok(worker.size > 0 && main.length > 0, "both threads write directories")
})

t.test("a two-thread checkout -H is the same tree as a one-thread one and as ostree's", async (t) => {
  const dir = tmp(t)
  const input = join(dir, "in")
  // Enough subtrees that the split lands below read-only, setgid and sticky directories.
  const dirModes: Array<[string, number]> = [["ro", 0o555], ["ro/a", 0o755], ["ro/b", 0o700], ["sg", 0o2775], ["sg/x", 0o755], ["sticky", 0o1777], ["sticky/y", 0o755], ["plain", 0o755]]
  for (const [p] of dirModes) mkdirSync(join(input, p), { recursive: true })
  for (const [p] of dirModes) for (let i = 0; i < 25; i++) writeFileSync(join(input, p, `f${i}`), `${p} ${i % 7}\n`)
  for (const [p] of dirModes) for (let i = 0; i < 3; i++) mkdirSync(join(input, p, `d${i}`))
  writeFileSync(join(input, "ro/a/empty"), "")
  writeFileSync(join(input, "plain/empty"), "")
  symlinkSync("../plain/f1", join(input, "sg/x/link"))
  for (const [p, m] of [...dirModes].reverse()) chmodSync(join(input, p), m)
  const repo = join(dir, "repo")
  sh("ostree", [`--repo=${repo}`, "init", "--mode=bare"])
  sh("ostree", [`--repo=${repo}`, "commit", "-b", "m", `--tree=dir=${input}`])
  const want = describeTree(input, { owners: true })
  for (const env of [{ STRATA_WORKERS: "1" }, SPLIT]) {
    const co = join(dir, `co-${env.STRATA_WORKERS}`)
    const r = strata(["repo", `--repo=${repo}`, "checkout", "-H", "m", co], { env })
    t.equal(r.status, 0, r.stderr)
    t.same(describeTree(co, { owners: true }), want, `${env.STRATA_WORKERS} thread(s): the input, modes and owners included`)
  }
  const byOstree = join(dir, "co-ostree")
  sh("ostree", [`--repo=${repo}`, "checkout", "-H", "m", byOstree])
  t.same(describeTree(join(dir, "co-2"), { owners: true }), describeTree(byOstree, { owners: true }), "as ostree checks it out")
  // --union over the existing checkout, on two threads: merged, nothing lost or doubled.
  const u = strata(["repo", `--repo=${repo}`, "checkout", "-H", "--union", "m", join(dir, "co-2")], { env: SPLIT })
  t.equal(u.status, 0, u.stderr)
  t.same(describeTree(join(dir, "co-2"), { owners: true }), want, "--union across the split")
  const again = strata(["repo", `--repo=${repo}`, "checkout", "-H", "m", join(dir, "co-2")], { env: SPLIT })
  t.not(again.status, 0, "an existing destination without --union is refused")
  t.match(again.stderr, /^strata: .*destination exists/)
})

t.test("a failure on either thread is one RepoError, and the deferred metadata is not applied", async (t) => {
  const dir = tmp(t)
  const ctx: WriteCtx = {
    repo: { path: join(dir, "no-repo"), mode: "bare" }, opts: {}, hardlink: true, allVerified: true,
    verified: new Set(), copyInstead: new Set(), cache: undefined,
  }
  const plan = node(0, [["a", node(0, [["x", node(0)]])], ["b", node(0, [["y", node(0)]])]], 0o40555)
  const failing: Writer = {
    run: async (job) => job.type === "boot" ? { ok: true } : { ok: false, op: "checkout: write file", reason: "NoSpace", detail: "link: ENOSPC", path: "/somewhere" },
    close: async () => undefined,
  }
  const e = await checkoutSplit(ctx, plan, join(dir, "co"), failing).then(() => undefined, (x: unknown) => x)
  t.ok(e instanceof RepoError, "the worker's failure comes back as a RepoError")
  t.match(e, { op: "checkout: write file", reason: "NoSpace", detail: "link: ENOSPC", path: "/somewhere" })
  t.ok(existsSync(join(dir, "co")), "the main thread's part was written")
  const { statSync } = await import("node:fs")
  t.not(statSync(join(dir, "co")).mode & 0o777, 0o555, "the top directory's read-only mode was not applied")

  // The real worker: a subtree whose parent does not exist fails there, with the step named.
  const writer = startWriter()
  try {
    const r = await writer.run({ type: "write", repo: ctx.repo, opts: {}, copyInstead: [], roots: [{ dest: join(dir, "missing/parent/x"), plan: node(0), parentSetgid: false }] })
    t.match(r, { ok: false, op: "checkout: mkdir", reason: "NotFound" }, "the worker reports the failing step")
  } finally {
    await writer.close()
  }
})
