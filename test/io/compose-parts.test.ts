/**
 * The compose's small parts, without packages: automatic versions (rpm-ostree's sequence), the
 * commit metadata, tmpfiles.d lines from /var, the passwd/group split and checks, the input hash.
 */
import t from "tap"
import { lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expandDate, nextVersion, commitMetadata, jsonVariant } from "../../src/io/compose/metadata.js"
import { convertVarToTmpfiles, quotePath, AUTOVAR_CONF } from "../../src/io/compose/tmpfiles.js"
import { checkEntries, parseEntries, splitPasswdGroup } from "../../src/io/compose/passwd.js"
import { inputHash } from "../../src/io/compose/inputhash.js"
import { loadTreefile } from "../../src/formats/treefile.js"
import { tmp } from "../helpers/tmp.js"

t.test("automatic-version-prefix: rpm-ostree's sequence", async (t) => {
  t.equal(nextVersion("40", undefined), "40", "first compose: the prefix")
  t.equal(nextVersion("40", "40"), "40.1")
  t.equal(nextVersion("40", "40.1"), "40.2")
  t.equal(nextVersion("40", "40.9"), "40.10")
  t.equal(nextVersion("41", "40.3"), "41", "a new prefix starts again")
  t.equal(nextVersion("40", "40-3", "-"), "40-4", "automatic-version-suffix")
  t.equal(nextVersion("40", "40.x"), "40", "not a number after the prefix")
  const d = new Date(Date.UTC(2024, 1, 9, 3, 4, 5))
  t.equal(expandDate("fc<date:%Y%m%d>", d), "fc20240209")
  t.equal(expandDate("<date:%y.%j>", d), "24.040")
})

t.test("commit metadata", async (t) => {
  const tf = loadTreefile({ path: "t.yaml", basearch: "x86_64", readFile: () => "ref: a/b\nadd-commit-metadata:\n  s: x\n  n: 3\n  f: 1.5\n  b: true\n  l: [a, b]\n  o: {k: v}\n" })
  const m = new Map(commitMetadata({ treefile: tf, version: "1.2", inputhash: "ab", pkglist: [], kver: "6.1", extra: { s: "override" } }))
  t.same(m.get("version"), { type: "s", value: "1.2" })
  t.same(m.get("s"), { type: "s", value: "override" }, "--add-metadata-string over add-commit-metadata")
  t.same(m.get("n"), { type: "x", value: 3n })
  t.same(m.get("f"), { type: "d", value: 1.5 })
  t.same(m.get("b"), { type: "b", value: true })
  t.same(m.get("l"), { type: "as", value: ["a", "b"] })
  t.same(m.get("o"), { type: "s", value: '{"k":"v"}' })
  t.same(m.get("ostree.bootable"), { type: "b", value: true })
  t.same(m.get("ostree.linux"), { type: "s", value: "6.1" })
  t.same(m.get("ostree.ref-binding"), { type: "as", value: ["a/b"] })
  t.same(m.get("rpmostree.rpmdb.pkglist")?.type, "a(sssss)")
  const noKernel = new Map(commitMetadata({ treefile: tf, inputhash: "ab", pkglist: [] }))
  t.notOk(noKernel.has("ostree.bootable"))
  t.notOk(noKernel.has("version"))
  t.same(jsonVariant(null), { type: "s", value: "null" })
})

t.test("/var becomes tmpfiles.d lines", async (t) => {
  const root = tmp(t)
  const { chownSync, chmodSync } = await import("node:fs")
  for (const d of ["var/lib/app", "var/spool/with space", "usr/lib", "etc"]) mkdirSync(join(root, d), { recursive: true })
  for (const d of ["var", "var/lib", "var/spool", "var/spool/with space"]) chmodSync(join(root, d), 0o755)
  writeFileSync(join(root, "var/lib/app/state"), "dropped")
  symlinkSync("../run", join(root, "var/run"))
  symlinkSync("../run/lock", join(root, "var/lock"))
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
  writeFileSync(join(root, "etc/group"), "root:x:0:\n")
  writeFileSync(join(root, "usr/lib/passwd"), "app:x:990:991::/:/sbin/nologin\n")
  writeFileSync(join(root, "usr/lib/group"), "app:x:991:\n")
  chownSync(join(root, "var/lib/app"), 990, 991)
  chmodSync(join(root, "var/lib/app"), 0o750)
  const lines = convertVarToTmpfiles(root)
  t.same(lines, [
    "L /var/lock - - - - ../run/lock",
    "d '/var/spool/with space' 0755 root root - -",
    "d /var/lib 0755 root root - -",
    "d /var/lib/app 0750 app app - -",
    "d /var/spool 0755 root root - -",
  ], "d and L lines (sorted), /var/run itself left to systemd, owner names from the tree, quoted paths, files dropped")
  t.equal(readFileSync(join(root, AUTOVAR_CONF), "utf8"), lines.map((l) => `${l}\n`).join(""))
  t.same(readdirSync(join(root, "var")), [], "/var emptied")
  t.ok(lstatSync(join(root, "var")).isDirectory())
  t.equal(quotePath("/var/a b"), "'/var/a b'")
  t.equal(quotePath("/var/it's"), "'/var/it'\\''s'")
})

t.test("passwd and group: root (and etc-group-members) stay in /etc, the rest moves to /usr/lib", async (t) => {
  const root = tmp(t)
  mkdirSync(join(root, "etc"))
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/sbin/nologin\napp:x:990:991::/:/sbin/nologin\n")
  writeFileSync(join(root, "etc/group"), "root:x:0:\nwheel:x:10:\napp:x:991:\n")
  const { passwd, group } = splitPasswdGroup(root, ["wheel"])
  t.equal(readFileSync(join(root, "etc/passwd"), "utf8"), "root:x:0:0:root:/root:/bin/sh\n")
  t.equal(readFileSync(join(root, "usr/lib/passwd"), "utf8"), "bin:x:1:1:bin:/bin:/sbin/nologin\napp:x:990:991::/:/sbin/nologin\n")
  t.equal(readFileSync(join(root, "etc/group"), "utf8"), "root:x:0:\nwheel:x:10:\n")
  t.equal(readFileSync(join(root, "usr/lib/group"), "utf8"), "app:x:991:\n")
  const none = (p: string): string => {
    throw new Error(`no ${p}`)
  }
  t.doesNotThrow(() => checkEntries("passwd", passwd, { type: "previous" }, undefined, none), "no previous commit: nothing to compare")
  t.doesNotThrow(() => checkEntries("passwd", passwd, { type: "previous" }, "bin:x:1:1::/:/x\n", none), "new users are fine")
  t.throws(() => checkEntries("passwd", passwd, { type: "previous" }, "gone:x:5:5::/:/x\n", none), /user gone was removed/)
  t.doesNotThrow(() => checkEntries("passwd", passwd, { type: "previous" }, "gone:x:5:5::/:/x\n", none, ["gone"]), "ignore-removed-users")
  t.throws(() => checkEntries("passwd", passwd, { type: "previous" }, "app:x:900:991::/:/x\n", none), /app: id 990, expected 900/)
  t.throws(() => checkEntries("passwd", passwd, undefined, "app:x:900:991::/:/x\n", none), /app: id 990, expected 900/, "no check-passwd: the previous commit's (rpm-ostree's default)")
  t.throws(() => checkEntries("group", group, undefined, "gone:x:5:\n", none), /group gone was removed/, "no check-groups: the previous commit's")
  t.doesNotThrow(() => checkEntries("passwd", passwd, { type: "none" }, "app:x:900:991::/:/x\n", none), "type none: no check")
  t.throws(() => checkEntries("passwd", passwd, { type: "data", entries: { root: 0, bin: [1, 1] } }, undefined, none), /not in the expected passwd set: app/)
  t.doesNotThrow(() => checkEntries("group", group, { type: "data", entries: { root: 0, wheel: 10, app: 991 } }, undefined, none))
  t.doesNotThrow(() => checkEntries("passwd", passwd, { type: "file", filename: "/x" }, undefined, () => "root:x:0:0::/:/x\nbin:x:1:1::/:/x\napp:x:990:991::/:/x\n"))
  t.same(parseEntries("# comment\nroot:x:0:0:r:/:/bin/sh\n").map((e) => [e.name, e.id, e.gid]), [["root", 0, 0]])
})

t.test("input hash: the treefile and package checksums count, where the files live does not", async (t) => {
  const files: Record<string, string> = { "a/t.yaml": "ref: r\nadd-files: [[motd, /etc/motd]]\n", "a/motd": "hello", "b/t.yaml": "ref: r\nadd-files: [[motd, /etc/motd]]\n", "b/motd": "hello" }
  const load = (p: string) => loadTreefile({ path: p, basearch: "x86_64", readFile: (f) => files[f]! })
  const pkg = { name: "x", epoch: "0", version: "1", release: "1", arch: "noarch", nevra: "x-1-1.noarch", repo: "r", url: "file:///x", checksum: { type: "sha256", value: "aa" }, size: 1 }
  const h = (p: string, pkgs = [pkg], extra = {}) => inputHash({ treefile: load(p), packages: pkgs, readFile: (f) => Buffer.from(files[f]!), extra })
  t.equal(h("a/t.yaml"), h("b/t.yaml"), "same content elsewhere: same hash")
  t.not(h("a/t.yaml"), h("a/t.yaml", [{ ...pkg, checksum: { type: "sha256", value: "bb" } }]), "another build of the package")
  t.not(h("a/t.yaml"), h("a/t.yaml", [pkg], { k: "v" }), "--add-metadata-string")
  files["b/motd"] = "changed"
  t.not(h("a/t.yaml"), h("b/t.yaml"), "add-files content")
})
