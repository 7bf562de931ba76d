/**
 * src/io/live on plain directories (no overlay needed: the writes are ordinary file operations):
 * the /usr changes between two commits — a file that became a directory, an added symlink and
 * executable, a removed directory — applied to a checkout of the first make it equal to a
 * checkout of the second; applying again changes nothing; the reverse diff brings the first
 * back. Without package lists, changed and removed files need replacement, and are named.
 */
import t from "tap"
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { spawnSync } from "node:child_process"
import { applyUsrChanges } from "../../src/io/live/apply.js"
import { liveChanges, replacementNeeded } from "../../src/io/live/changes.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { sh, tmp } from "../helpers/tmp.js"

const tree = (dir: string, files: Record<string, string | { link: string } | { exec: string }>): string => {
  for (const [p, c] of Object.entries(files)) {
    const full = join(dir, p)
    mkdirSync(join(full, ".."), { recursive: true })
    if (typeof c === "string") writeFileSync(full, c)
    else if ("link" in c) symlinkSync(c.link, full)
    else {
      writeFileSync(full, c.exec)
      chmodSync(full, 0o755)
    }
  }
  return dir
}

const same = (a: string, b: string): string => {
  const r = spawnSync("diff", ["-r", "--no-dereference", a, b], { encoding: "utf8" })
  return r.status === 0 ? "" : r.stdout + r.stderr
}

t.test("applying a commit's /usr changes to a live tree, again, and back", async (t) => {
  const dir = tmp(t)
  const repo = join(dir, "repo")
  sh("ostree", [`--repo=${repo}`, "init", "--mode=bare-user-only"])
  const commit = (name: string, files: Parameters<typeof tree>[1]): string => {
    tree(join(dir, name), files)
    return sh("ostree", [`--repo=${repo}`, "commit", "-b", name, `--tree=dir=${join(dir, name)}`, "--owner-uid=0", "--owner-gid=0", "--no-xattrs"]).trim()
  }
  const a = commit("a", { "usr/x": "a\n", "usr/keep": "k\n", "usr/gone/f": "g\n", "usr/etc/old.conf": "o\n" })
  const b = commit("b", { "usr/x/y": "b\n", "usr/keep": "k\n", "usr/new": { exec: "#!/bin/sh\n" }, "usr/link": { link: "keep" }, "usr/etc/old.conf": "o\n", "usr/etc/d/new.conf": "n\n" })
  const checkout = (rev: string, to: string): string => {
    sh("ostree", [`--repo=${repo}`, "checkout", "-U", rev, to])
    return to
  }
  const r = await openRepo(repo)
  const c = await liveChanges(r, a, b)
  t.same([...c.usr.added].sort(), ["/usr/etc/d", "/usr/etc/d/new.conf", "/usr/link", "/usr/new"])
  t.same(c.usr.changed, ["/usr/x"])
  t.same(c.usr.removed, ["/usr/gone"])
  t.same(c.etcAdded, ["d", "d/new.conf"], "new /etc paths, parents first")
  t.equal(c.packages, undefined, "no rpmdb: judged on files alone")
  t.match(replacementNeeded(c), /files of the running \/usr would be replaced or removed: \/usr\/gone, \/usr\/x; use --allow-replacement/)

  const live = checkout(a, join(dir, "live"))
  const want = checkout(b, join(dir, "want"))
  const wantA = checkout(a, join(dir, "want-a"))
  await applyUsrChanges({ repo: r, commit: b, root: live, changes: c.usr })
  t.equal(same(join(live, "usr"), join(want, "usr")), "", "the live /usr is the target's")
  await applyUsrChanges({ repo: r, commit: b, root: live, changes: c.usr })
  t.equal(same(join(live, "usr"), join(want, "usr")), "", "applying again changes nothing")
  await applyUsrChanges({ repo: r, commit: a, root: live, changes: (await liveChanges(r, b, a)).usr })
  t.equal(same(join(live, "usr"), join(wantA, "usr")), "", "the reverse diff brings the source back")
})
