/**
 * `rmrf` (src/io/sysroot/fs-ops.ts), the removal under every deployment cleanup and bootloader
 * swap: whole trees with files, symlinks (removed, never followed), empty and nested
 * directories, special names; a single file or symlink; a missing path; and a tree whose root
 * carries the immutable flag ostree sets on deployments (cleared and retried, as ostree does).
 */
import t from "tap"
import { spawnSync } from "node:child_process"
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { rmrf } from "../../src/io/sysroot/fs-ops.js"

const tree = (root: string): void => {
  mkdirSync(join(root, "a/b/c/d"), { recursive: true })
  mkdirSync(join(root, "empty"))
  for (let i = 0; i < 50; i++) writeFileSync(join(root, "a", `f${i}`), String(i))
  writeFileSync(join(root, "a/b/c/d/deep"), "x")
  writeFileSync(join(root, "name with spaces\nand newline"), "y")
  symlinkSync("a/b", join(root, "link-dir"))
  symlinkSync("/nonexistent", join(root, "dangling"))
}

t.test("removes a tree; symlinks to directories are removed, their targets kept", async (t) => {
  const dir = tmp(t, "strata-rmrf-")
  const keep = join(dir, "keep")
  mkdirSync(keep)
  writeFileSync(join(keep, "precious"), "p")
  const root = join(dir, "root")
  tree(root)
  symlinkSync(keep, join(root, "a/b/outside"))
  await rmrf(root)
  t.notOk(existsSync(root), "the tree is gone")
  t.same(readdirSync(keep), ["precious"], "what a symlink pointed to is untouched")
})

t.test("a file, a symlink, a missing path", async (t) => {
  const dir = tmp(t, "strata-rmrf-")
  writeFileSync(join(dir, "file"), "f")
  mkdirSync(join(dir, "target"))
  symlinkSync("target", join(dir, "link"))
  await rmrf(join(dir, "file"))
  await rmrf(join(dir, "link"))
  await rmrf(join(dir, "missing"))
  await rmrf(join(dir, "missing/below"))
  t.same(readdirSync(dir), ["target"], "only the symlink's target is left")
  t.ok(lstatSync(join(dir, "target")).isDirectory())
})

t.test("an immutable root is unsealed and removed", { skip: process.getuid?.() !== 0 && "needs root for chattr +i" }, async (t) => {
  const dir = tmp(t, "strata-rmrf-")
  const root = join(dir, "deploy")
  tree(root)
  if (spawnSync("chattr", ["+i", root]).status !== 0) {
    t.comment("this filesystem has no immutable flag: nothing to check")
    return
  }
  t.throws(() => writeFileSync(join(root, "new"), "n"), "the root is sealed")
  t.teardown(() => void spawnSync("chattr", ["-i", root]))
  await rmrf(root)
  t.notOk(existsSync(root))
})

t.test("a path below a file counts as gone (ENOTDIR), as rm -rf says", async (t) => {
  const dir = tmp(t, "strata-rmrf-")
  writeFileSync(join(dir, "plain"), "x")
  await rmrf(join(dir, "plain/child"))
  t.ok(existsSync(join(dir, "plain")), "the file itself stays")
})
