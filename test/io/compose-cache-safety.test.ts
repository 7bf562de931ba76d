/**
 * Postprocess scripts run on a tree whose packaged files are hardlinks into the per-package import
 * cache. A script that writes into such a file in place (append, truncate, chmod) must change the
 * tree only — never the cache: the next compose assembles from the same cache entries.
 */
import t from "tap"
import { spawnSync } from "node:child_process"
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, lstatSync, writeFileSync } from "node:fs"
import { getAttributeSync, setAttributeSync } from "@napi-rs/xattr"
import { breakHardlinks } from "../../src/io/compose/run-in-root.js"
import { join } from "node:path"
import { composeWorkspace } from "../helpers/distro.js"
import { sh, tmp } from "../helpers/tmp.js"

const MARK = "appended-by-postprocess"

/** Every regular file under dir: path → [content, mode]. */
const snapshot = (dir: string, out = new Map<string, string>()): Map<string, string> => {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n)
    const st = lstatSync(p)
    if (st.isDirectory()) snapshot(p, out)
    else if (st.isFile()) out.set(p, `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${readFileSync(p).toString("base64")}`)
  }
  return out
}

t.test("a postprocess script writing packaged files in place leaves the import cache unchanged", async (t) => {
  const { cachedir, repo, compose } = await composeWorkspace(t, "bare", "strata-compose-cache-")
  const treefile = (ref: string, postprocess: string[]) => ({ ref, packages: ["filesystem setup busybox fixture-release", "hello"], postprocess })
  // a plain compose fills the cache; its content is what every later compose must find
  const clean = compose(treefile("test/clean", []))
  t.equal(clean.status, 0, clean.stderr)
  const before = snapshot(join(cachedir, "imports"))
  t.ok(before.size > 0, "the import cache has files")

  const edit = compose(treefile("test/edited", [
    `#!/bin/sh\nset -e\necho ${MARK} >> /usr/bin/hello\nchmod 0700 /usr/bin/hello\nprintf '' > /usr/lib/os-release 2>/dev/null || printf '' > /usr/etc/os-release 2>/dev/null || true\n`,
  ]))
  t.equal(edit.status, 0, edit.stderr)
  t.match(sh("ostree", [`--repo=${repo}`, "cat", "test/edited", "/usr/bin/hello"]), MARK, "the script's append is in the composed tree")
  t.match(sh("ostree", [`--repo=${repo}`, "ls", "test/edited", "/usr/bin/hello"]), /^-00700 /, "and its chmod")
  const after = snapshot(join(cachedir, "imports"))
  const changed = [...before].filter(([p, v]) => after.get(p) !== v).map(([p]) => p)
  t.same(changed, [], "no cache file changed content, mode or owner")
  t.notMatch(sh("ostree", [`--repo=${repo}`, "cat", "test/clean", "/usr/bin/hello"]), MARK, "the earlier commit is untouched")

  const again = compose(treefile("test/again", []))
  t.equal(again.status, 0, again.stderr)
  t.notMatch(sh("ostree", [`--repo=${repo}`, "cat", "test/again", "/usr/bin/hello"]), MARK, "a later compose from the cache has the package's own file")
  t.match(sh("ostree", [`--repo=${repo}`, "ls", "test/again", "/usr/bin/hello"]), /^-00755 /, "with the package's mode")
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)
})

// FUSE is a property of the machine: without it apply.ts drops a written-through entry afterwards (rpm-apply.test.ts)
const fuse = spawnSync("sh", ["-c", "test -c /dev/fuse && command -v rofiles-fuse"]).status === 0
t.test("a package scriptlet appending to its own file in place: the commit has it, the import cache does not", { skip: fuse ? false : "no /dev/fuse or rofiles-fuse here" }, async (t) => {
  const { cachedir, repo, compose } = await composeWorkspace(t, "bare", "strata-compose-cache-")
  const r = compose({ ref: "test/appender", packages: ["filesystem setup busybox fixture-release appender"] })
  t.equal(r.status, 0, r.stderr)
  t.equal(sh("ostree", [`--repo=${repo}`, "cat", "test/appender", "/usr/share/appender/data"]), "appender original\nappended by %post\n", "the %post's append is in the commit")
  const entries = readdirSync(join(cachedir, "imports")).map((e) => join(cachedir, "imports", e, "usr/share/appender/data")).filter((p) => existsSync(p))
  t.equal(entries.length, 1, "the package's import cache entry is kept (nothing wrote through it)")
  t.equal(readFileSync(entries[0]!, "utf8"), "appender original\n", "with the package's own content")
})

t.test("without rofiles-fuse: breakHardlinks gives every multiply-linked file its own copy", async (t) => {
  const dir = tmp(t, "strata-unlink-")
  mkdirSync(join(dir, "cache"))
  mkdirSync(join(dir, "root/usr/bin"), { recursive: true })
  writeFileSync(join(dir, "cache/tool"), "#!/bin/sh\n", { mode: 0o4751 })
  chownSync(join(dir, "cache/tool"), 5, 6)
  chmodSync(join(dir, "cache/tool"), 0o4751)
  setAttributeSync(join(dir, "cache/tool"), "user.strata-test", "kept")
  linkSync(join(dir, "cache/tool"), join(dir, "root/usr/bin/tool"))
  writeFileSync(join(dir, "root/own"), "x")
  const ownIno = lstatSync(join(dir, "root/own")).ino
  breakHardlinks(join(dir, "root"))
  const c = lstatSync(join(dir, "cache/tool"))
  const r = lstatSync(join(dir, "root/usr/bin/tool"))
  t.not(r.ino, c.ino, "a new inode")
  t.equal(c.nlink, 1)
  t.same([r.mode & 0o7777, r.uid, r.gid, Math.floor(r.mtimeMs / 1000)], [c.mode & 0o7777, 5, 6, Math.floor(c.mtimeMs / 1000)], "owner, mode and mtime kept")
  t.equal(getAttributeSync(join(dir, "root/usr/bin/tool"), "user.strata-test")?.toString(), "kept", "xattrs kept")
  t.equal(readFileSync(join(dir, "root/usr/bin/tool"), "utf8"), "#!/bin/sh\n")
  t.equal(lstatSync(join(dir, "root/own")).ino, ownIno, "a file with one link is left alone")
})
