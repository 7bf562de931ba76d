/**
 * Static deltas against the real ostree: deltas strata generates (from scratch, from a parent,
 * inline) are applied by `ostree static-delta apply-offline`; deltas ostree generates are
 * applied by strata; pulls over HTTP use a delta when the remote offers one and fall back to
 * objects when it does not, or when a part is missing.
 */
import t from "tap"
import { readdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { evolveTree, makeTree, noise, ostree, srepo } from "../helpers/repo-fixture.js"
import { pythonServer } from "../helpers/http.js"

const history = (dir: string, tool: "ostree" | "strata"): { repo: string; c1: string; c2: string } => {
  const tree = makeTree(join(dir, `tree-${tool}`))
  writeFileSync(join(tree, "large.bin"), noise(300_000, 7))
  const repo = join(dir, `src-${tool}`)
  const run = tool === "ostree" ? ostree : srepo
  run(repo, "init", "--mode=archive")
  const c1 = run(repo, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "one", "--timestamp=2024-01-01 00:00:00").stdout.trim()
  evolveTree(tree)
  const big = noise(300_000, 7)
  big[1000] = 1
  writeFileSync(join(tree, "large.bin"), big) // a small edit of a large file: ostree bsdiffs it
  const c2 = run(repo, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "two", "--timestamp=2024-02-01 00:00:00").stdout.trim()
  return { repo, c1, c2 }
}

/** The from-scratch and the FROM-TO delta directories of a repo. */
const deltaDirs = (repo: string): { scratch: string; incr: string } => {
  const base = join(repo, "deltas")
  const all = readdirSync(base).flatMap((p) => readdirSync(join(base, p)).map((r) => ({ rest: r, path: join(base, p, r) })))
  return { scratch: all.find((d) => !d.rest.includes("-"))!.path, incr: all.find((d) => d.rest.includes("-"))!.path }
}

t.test("ostree applies the deltas strata generates", async (t) => {
  const dir = tmp(t)
  const h = history(dir, "strata")
  t.equal(srepo(h.repo, "static-delta", "generate", "--empty", `--to=${h.c1}`).status, 0)
  t.equal(srepo(h.repo, "static-delta", "generate", `--to=${h.c2}`).status, 0, "default FROM is the parent")
  t.equal(srepo(h.repo, "static-delta", "list").stdout, [h.c1, `${h.c1}-${h.c2}`].sort().join("\n") + "\n")
  t.equal(ostree(h.repo, "static-delta", "list").stdout.trim().split("\n").sort().join("\n"), [h.c1, `${h.c1}-${h.c2}`].sort().join("\n"), "ostree lists them")
  t.match(ostree(h.repo, "static-delta", "show", `${h.c1}-${h.c2}`).stdout, /Endianness: little/, "ostree shows the superblock")
  for (const mode of ["bare", "bare-user", "archive"]) {
    const dest = join(dir, `apply-${mode}`)
    ostree(dest, "init", `--mode=${mode}`)
    const { scratch, incr } = deltaDirs(h.repo)
    let r = ostree(dest, "static-delta", "apply-offline", scratch)
    t.equal(r.status, 0, `${mode}: ostree applies the scratch delta: ${r.stderr}`)
    r = ostree(dest, "static-delta", "apply-offline", incr)
    t.equal(r.status, 0, `${mode}: ostree applies the FROM-TO delta: ${r.stderr}`)
    t.equal(ostree(dest, "fsck").status, 0, `${mode}: fsck`)
    t.equal(ostree(dest, "ls", h.c2, "/added/inner/f").status, 0)
  }
  // --inline: one file
  const inl = join(dir, "inline-src")
  ostree(inl, "init", "--mode=archive")
  t.equal(srepo(inl, "pull-local", h.repo, "main").status, 0)
  t.equal(srepo(inl, "static-delta", "generate", "--inline", "--empty", `--to=${h.c2}`).status, 0)
  const only = readdirSync(join(inl, "deltas")).flatMap((p) => readdirSync(join(inl, "deltas", p)).map((r) => join(inl, "deltas", p, r)))[0]!
  t.same(readdirSync(only), ["superblock"], "an inline delta is just the superblock")
  const dest = join(dir, "apply-inline")
  ostree(dest, "init", "--mode=bare-user")
  t.equal(ostree(dest, "static-delta", "apply-offline", join(only, "superblock")).status, 0)
  t.equal(ostree(dest, "fsck").status, 0)
})

t.test("strata applies the deltas ostree generates (bsdiff included)", async (t) => {
  const dir = tmp(t)
  const h = history(dir, "ostree")
  t.equal(ostree(h.repo, "static-delta", "generate", "--empty", `--to=${h.c1}`).status, 0)
  t.equal(ostree(h.repo, "static-delta", "generate", "--min-fallback-size=0", `--from=${h.c1}`, `--to=${h.c2}`).status, 0)
  const show = ostree(h.repo, "static-delta", "show", `${h.c1}-${h.c2}`).stdout
  t.equal(srepo(h.repo, "static-delta", "show", `${h.c1}-${h.c2}`).stdout.replace(/^Timestamp.*\n/m, ""), show.replace(/^Timestamp.*\n/m, ""), "show prints what ostree prints")
  for (const mode of ["bare", "bare-user", "archive"]) {
    const dest = join(dir, `apply-${mode}`)
    srepo(dest, "init", `--mode=${mode}`)
    const { scratch, incr } = deltaDirs(h.repo)
    for (const d of [scratch, incr]) {
      const r = srepo(dest, "static-delta", "apply-offline", d)
      t.equal(r.status, 0, `${mode}: ${r.stderr}`)
    }
    t.equal(ostree(dest, "fsck").status, 0, `${mode}: ostree fsck after strata applied ostree's deltas`)
    t.equal(ostree(dest, "ls", h.c2, "/large.bin").status, 0)
  }
})

t.test("pull prefers a static delta and falls back to objects", async (t) => {
  const dir = tmp(t)
  for (const tool of ["ostree", "strata"] as const) {
    const h = history(join(dir), tool)
    const run = tool === "ostree" ? ostree : srepo
    run(h.repo, "static-delta", "generate", "--empty", `--to=${h.c1}`)
    run(h.repo, "static-delta", "generate", `--from=${h.c1}`, `--to=${h.c2}`)
    t.equal(run(h.repo, "summary", "-u").status, 0)
    const url = await pythonServer(t, h.repo)
    const dest = join(dir, `pull-${tool}`)
    srepo(dest, "init", "--mode=bare-user")
    srepo(dest, "remote", "add", "--no-gpg-verify", "origin", url)
    let r = srepo(dest, "pull", "origin", h.c1)
    t.equal(r.status, 0, r.stderr)
    t.match(r.stdout, /^1 delta parts, /, `${tool}: the scratch delta was used`)
    srepo(dest, "refs", "--create=origin:main", h.c1)
    r = srepo(dest, "pull", "origin", "main")
    t.equal(r.status, 0, r.stderr)
    t.match(r.stdout, /^1 delta parts, /, `${tool}: the FROM-TO delta was used`)
    t.equal(ostree(dest, "fsck").status, 0)
    // A missing part: the pull fails cleanly? No — parts are optional help: remove the deltas
    // and a fresh pull falls back to objects.
    rmSync(join(h.repo, "deltas"), { recursive: true })
    rmSync(join(h.repo, "delta-indexes"), { recursive: true, force: true })
    run(h.repo, "summary", "-u")
    const d2 = join(dir, `pull2-${tool}`)
    srepo(d2, "init", "--mode=bare")
    srepo(d2, "remote", "add", "--no-gpg-verify", "origin", url)
    r = srepo(d2, "pull", "origin", "main")
    t.equal(r.status, 0, r.stderr)
    t.notMatch(r.stdout, /delta parts/, "objects when there is no delta")
    t.equal(ostree(d2, "fsck").status, 0)
  }
})
