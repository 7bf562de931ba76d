/**
 * `rmrfSplit` (src/io/sysroot/rmrf-split.ts), cleanup's removal of a whole deployment on two
 * threads: the split hands the worker whole subtrees only and keeps every directory above them
 * for the final pass; the removal leaves nothing (a large tree, with symlinks, special names and
 * an immutable root), never follows a symlink, and a small tree takes the sequential path.
 */
import t from "tap"
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { listTree } from "../../src/io/sysroot/rm-tree.js"
import { rmrfSplit, splitListed } from "../../src/io/sysroot/rmrf-split.js"

/** ~3000 entries: above the size that starts a worker. */
const bigTree = (root: string, outside: string): void => {
  for (const top of ["usr", "etc", "var"]) {
    for (let i = 0; i < 12; i++) {
      const dir = join(root, top, `d${i}`, "sub", `s${i % 3}`)
      mkdirSync(dir, { recursive: true })
      for (let j = 0; j < 80; j++) writeFileSync(join(dir, `f${j}`), String(j))
      mkdirSync(join(root, top, `d${i}`, "empty"))
    }
  }
  writeFileSync(join(root, "usr", "name with spaces\nand newline"), "y")
  symlinkSync("usr/d0", join(root, "link-dir"))
  symlinkSync(outside, join(root, "usr", "d1", "outside"))
  writeFileSync(join(root, "top-file"), "t")
}

t.test("the worker's share is whole subtrees; directories above them stay for the final pass", async (t) => {
  const dir = tmp(t, "strata-rmrf-split-")
  const root = join(dir, "root")
  bigTree(root, dir)
  const dirs = listTree(root)
  const { worker, main } = splitListed(dirs)
  t.ok(worker.length > 0 && main.length > 0, "both sides get work")
  t.equal(worker.length + main.length, dirs.length, "every directory is on one side")
  const mine = new Set(worker.map((d) => d.path))
  for (const d of worker) {
    for (const e of dirs) if (e.path.startsWith(`${d.path}/`)) t.ok(mine.has(e.path), `${e.path} is with its ancestor ${d.path} on the worker`)
  }
  for (const d of main) {
    const above = worker.some((w) => w.path.startsWith(`${d.path}/`))
    if (above) t.ok(d.keep, `${d.path}, above the worker's subtrees, is left for the final pass`)
  }
  for (const d of dirs) if (d.path.split("/").length === root.split("/").length + 1) t.ok(d.keep, `${d.path}: the root's own entries stay`)
})

t.test("removes a large tree; what a symlink points to is untouched", async (t) => {
  const dir = tmp(t, "strata-rmrf-split-")
  const keep = join(dir, "keep")
  mkdirSync(keep)
  writeFileSync(join(keep, "precious"), "p")
  const root = join(dir, "root")
  bigTree(root, keep)
  await rmrfSplit(root)
  t.notOk(existsSync(root), "the tree is gone")
  t.same(readdirSync(keep), ["precious"])
})

t.test("an immutable root is unsealed and removed", { skip: process.getuid?.() !== 0 && "needs root for chattr +i" }, async (t) => {
  const dir = tmp(t, "strata-rmrf-split-")
  const root = join(dir, "deploy")
  bigTree(root, dir)
  if (spawnSync("chattr", ["+i", root]).status !== 0) {
    t.comment("this filesystem has no immutable flag: nothing to check")
    return
  }
  t.teardown(() => void spawnSync("chattr", ["-i", root]))
  await rmrfSplit(root)
  t.notOk(existsSync(root))
})

t.test("a small tree, a file and a missing path", async (t) => {
  const dir = tmp(t, "strata-rmrf-split-")
  mkdirSync(join(dir, "small/a"), { recursive: true })
  writeFileSync(join(dir, "small/a/f"), "f")
  writeFileSync(join(dir, "file"), "f")
  await rmrfSplit(join(dir, "small"))
  await rmrfSplit(join(dir, "file"))
  await rmrfSplit(join(dir, "missing"))
  t.same(readdirSync(dir), [])
})
