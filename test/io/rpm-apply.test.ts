// applyPackages on the fixture distribution, with rpm itself as the oracle: rpm -qa / rpm -V read
// the rpmdb strata writes, and `rpm --root -i/-U/-e` of the same packages into a second root
// leaves the same scriptlet marks and the same files.
import t from "tap"
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { spawnSync } from "node:child_process"
import { sh, tmp } from "../helpers/tmp.js"
import { buildDistro, BASE_PACKAGES } from "../helpers/distro.js"
import { applyPackages } from "../../src/io/rpm/apply.js"
import { installOrder } from "../../src/io/rpm/apply-order.js"
import { ScriptletError } from "../../src/io/rpm/scriptlets.js"
import { readPackageFront } from "../../src/io/rpm/read.js"
import { exitCodeFor } from "../../src/lib/error.js"
import { writePackage } from "../../src/formats/rpm/package-write.js"

const d = await buildDistro()
const paths = (l: ReadonlyArray<string>) => l.map((path) => ({ path }))
const rpmQa = (root: string): string[] => sh("rpm", ["--root", root, "--dbpath", "/usr/share/rpm", "-qa", "--qf", "%{NEVRA}\n"]).split("\n").filter(Boolean).sort()
const rpmOracle = (root: string, args: ReadonlyArray<string>): void => {
  const r = spawnSync("rpm", ["--root", root, "--dbpath", "/usr/share/rpm", "--nosignature", ...args], { encoding: "utf8" })
  if (r.status !== 0) throw new Error(`rpm ${args.join(" ")}: ${r.stderr}`)
}
const read = (root: string, p: string): string => readFileSync(join(root, p), "utf8")
/** type, mode, size and target/content of every entry, minus the rpmdb. */
const listing = (root: string): string =>
  sh("bash", ["-c", `cd ${root} && find . -path ./usr/share/rpm -prune -o -printf '%p %y %m %u:%g %s %l\\n' | sort`])

const noIndex = (l: string): string => l.replace(/^\. d \d+/m, "").replace(/^\.\/var\/lib\/fixture-docs\/index .*\n/m, "")

t.test("install the base set into an empty root, as rpm does", async (t) => {
  const root = join(tmp(t), "root")
  const cacheDir = join(tmp(t), "cache")
  const r = await applyPackages({ root, cacheDir, install: paths(d.base1), installTime: 1700000000 })
  t.same([...r.installed].sort(), BASE_PACKAGES.map((n) => sh("rpm", ["-qp", "--qf", "%{NEVRA}", d.v1[n]!])).sort())
  t.same(r.erased, [])
  t.same(rpmQa(root), [...r.installed].sort(), "rpm -qa reads strata's rpmdb")
  const v = spawnSync("rpm", ["--root", root, "--dbpath", "/usr/share/rpm", "-V", "hello", "tool", "kernel", "busybox", "filesystem", "fixture-release"], { encoding: "utf8" })
  t.equal(v.stdout + v.stderr, "", "rpm -V: files as the packages describe them")
  t.equal(v.status, 0)
  t.ok(existsSync(join(root, `usr/lib/modules/${d.kver1}/vmlinuz`)))
  t.equal(read(root, "usr/bin/hello"), '#!/bin/sh\necho "hello from fixture 1"\n')
  t.equal(read(root, "var/lib/scripted/marks"), "pre 1 v1\npost 1 v1\nposttrans 1 v1\n")
  t.match(read(root, "etc/passwd"), /^scripted:x:901:901:/m, "%pre added its user")
  const st = statSync(join(root, "var/lib/scripted"))
  t.same([st.uid, st.gid, st.mode & 0o7777], [901, 901, 0o750], "a directory owned by the user its own %pre created")
  t.equal(read(root, "var/lib/fixture-docs/index"), "trigger 0 \n/usr/share/fixture-docs\n/usr/share/fixture-docs/base.txt\n", "the file trigger got the matching paths")
  t.same(r.scripts.map((s) => `${s.pkg.replace(/-\d.*/, "")}:${s.kind}:${s.ok}`), ["scripted:pre:true", "scripted:post:true", "scripted:posttrans:true", "fixture-docs-index:filetriggerin:true", "fixture-docs-index:transfiletriggerin:true"])
  t.same(r.warnings, [])

  // the same packages through rpm: same files, same marks
  const ref = join(tmp(t), "ref")
  rpmOracle(ref, ["-i", ...d.base1])
  t.equal(listing(root).replace(/^\. d \d+/m, ""), listing(ref).replace(/^\. d \d+/m, ""), "same tree as rpm -i")
  for (const f of ["var/lib/scripted/marks", "etc/passwd", "etc/group", "var/lib/fixture-docs/index", "var/lib/fixture-docs/libs"]) t.equal(read(root, f), read(ref, f), f)
  t.equal(read(root, "var/lib/fixture-docs/libs"), "transtrigger 0\n/usr/lib64/libfoo.so.1\n/usr/lib64/libbar.so.2\n", "%transfiletriggerin: files below the prefix, in install order")
})

t.test("upgrade v1 → v2 and erase, as rpm does", async (t) => {
  const root = join(tmp(t), "root")
  const cacheDir = join(tmp(t), "cache")
  const ref = join(tmp(t), "ref")
  await applyPackages({ root, cacheDir, install: paths(d.base1) })
  rpmOracle(ref, ["-i", ...d.base1])
  const r = await applyPackages({ root, cacheDir, install: paths(d.base2) })
  rpmOracle(ref, ["-U", ...d.base2])
  t.equal(r.installed.length, BASE_PACKAGES.length)
  t.equal(r.erased.length, BASE_PACKAGES.length, "every v1 package replaced")
  t.same(rpmQa(root), BASE_PACKAGES.map((n) => sh("rpm", ["-qp", "--qf", "%{NEVRA}", d.v2[n]!])).sort())
  t.notOk(existsSync(join(root, "usr/share/hello-v1-only")), "files only v1 had are gone")
  t.ok(existsSync(join(root, "usr/share/hello-v2-only")))
  t.notOk(existsSync(join(root, `usr/lib/modules/${d.kver1}`)), "old kernel's directory removed once empty")
  t.ok(existsSync(join(root, `usr/lib/modules/${d.kver2}/vmlinuz`)))
  t.equal(read(root, "usr/lib/os-release").match(/VERSION_ID=(\d)/)![1], "2")
  t.equal(read(root, "var/lib/scripted/marks"), "pre 1 v1\npost 1 v1\nposttrans 1 v1\npre 2 v2\npost 2 v2\npreun 1 v1\npostun 1 v1\nposttrans 2 v2\n")
  t.equal(read(root, "var/lib/scripted/marks"), read(ref, "var/lib/scripted/marks"), "same scriptlet sequence and $1 as rpm -U")
  t.equal(read(root, "var/lib/fixture-docs/libs"), read(ref, "var/lib/fixture-docs/libs"), "the transaction file trigger ran once more, as with rpm -U")
  // /etc/passwd was changed by scripted's %pre and is %config(noreplace): rpm keeps it, new one as .rpmnew
  t.same([...r.warnings].sort(), ["/etc/group created as /etc/group.rpmnew", "/etc/passwd created as /etc/passwd.rpmnew"])
  for (const f of ["etc/passwd", "etc/passwd.rpmnew", "etc/group.rpmnew"]) t.equal(read(root, f), read(ref, f), f)
  // (rpm 4.18 runs the file trigger three times in this upgrade, strata once: the index differs in length)
  t.equal(noIndex(listing(root)), noIndex(listing(ref)), "same tree as rpm -U")

  const e = await applyPackages({ root, cacheDir, erase: ["scripted", "tool-2.0-1.x86_64"] })
  rpmOracle(ref, ["-e", "scripted", "tool"])
  t.same([...e.erased].sort(), ["scripted-2.0-1.noarch", "tool-2.0-1.x86_64"])
  t.equal(read(root, "var/lib/scripted/marks"), read(ref, "var/lib/scripted/marks"))
  t.match(read(root, "var/lib/scripted/marks"), /preun 0 v2\npostun 0 v2\n$/)
  t.notOk(existsSync(join(root, "usr/bin/tool")))
  t.notOk(existsSync(join(root, "usr/share/scripted")))
  t.ok(existsSync(join(root, "usr/lib64/libbar.so.2")), "other packages' files stay")
  t.ok(existsSync(join(root, "usr/bin")), "shared directories stay")
  t.equal(noIndex(listing(root)), noIndex(listing(ref)), "same tree as rpm -e")
  t.notOk(rpmQa(root).some((n) => n.startsWith("scripted") || n.startsWith("tool")))
  await t.rejects(applyPackages({ root, cacheDir, erase: ["no-such-package"] }), { reason: "NotFound", message: /no-such-package is not installed/ })
})

t.test("layering onto an installed root: dependencies first, file trigger on the new paths only", async (t) => {
  const root = join(tmp(t), "root")
  const cacheDir = join(tmp(t), "cache")
  await applyPackages({ root, cacheDir, install: paths(d.base1) })
  const r = await applyPackages({ root, cacheDir, install: paths([d.v1["extra-a"]!, d.v1["extra-b"]!, d.localRpms.tool]) })
  t.same(r.installed, ["extra-b-1.0-1.noarch", "extra-a-1.0-1.noarch", "local-tool-1.0-1.noarch"], "extra-b (required by extra-a) first")
  t.match(read(root, "var/lib/fixture-docs/index"), /trigger 0 \n\/usr\/share\/fixture-docs\/extra-b\.txt\n$/)
  t.same(r.scripts.map((s) => s.kind), ["filetriggerin"])
  t.ok(rpmQa(root).includes("local-tool-1.0-1.noarch"))
})

t.test("install order follows Requires among the set", async (t) => {
  const names = BASE_PACKAGES.map((n) => n as string)
  const order = installOrder(names.map((n) => readPackageFront(d.v1[n]!).header)).map((i) => names[i]!)
  const before = (a: string, b: string) => t.ok(order.indexOf(a) < order.indexOf(b), `${a} before ${b}`)
  before("filesystem", "setup")
  before("setup", "scripted")
  before("busybox", "scripted")
  before("libfoo", "hello")
  before("libbar", "tool")
  // a symlink's package goes before packages with files beneath it, even without a dependency
  const dir = tmp(t)
  const hdr = (name: string, files: Parameters<typeof writePackage>[0]["files"]) => {
    writeFileSync(join(dir, `${name}.rpm`), writePackage({ name, files }))
    return readPackageFront(join(dir, `${name}.rpm`)).header
  }
  const a = hdr("aaa", [{ path: "/lib/aaa/data", mode: 0o100644, data: Buffer.from("x") }])
  const fs = hdr("zzz-filesystem", [{ path: "/lib", mode: 0o120777, linkto: "usr/lib" }])
  t.same(installOrder([a, fs]), [1, 0])
  t.same(installOrder([fs, a]), [0, 1])
  t.same(installOrder([readPackageFront(d.v1["hello"]!).header, a]), [1, 0], "otherwise by name")
  t.same(installOrder([...names].reverse().map((n) => readPackageFront(d.v1[n]!).header)).map((i) => [...names].reverse()[i]), order, "independent of the input order")
})

t.test("a failing scriptlet is an error naming the package and scriptlet, with its output", async (t) => {
  const root = join(tmp(t), "root")
  const cacheDir = join(tmp(t), "cache")
  await applyPackages({ root, cacheDir, install: paths(d.base1) })
  const err = await applyPackages({ root, cacheDir, install: paths([d.v1["failing-script"]!]) }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ScriptletError, "a ScriptletError")
  const e = err as ScriptletError
  t.equal(e.reason, "ScriptFailed")
  t.equal(exitCodeFor[e.reason], 13)
  t.equal(e.kind, "post")
  t.match(e.message, /^scriptlet: %post scriptlet of failing-script-1\.0-1\.noarch failed \(exit status 1\); its output:\n {2}failing-script: this %post fails on purpose$/)
  t.notOk(rpmQa(root).some((n) => n.startsWith("failing-script")), "not recorded in the rpmdb")
})

t.test("a scriptlet writing through a hardlink does not corrupt the import cache", async (t) => {
  const cacheDir = join(tmp(t), "cache")
  const base = join(tmp(t), "a")
  await applyPackages({ root: base, cacheDir, install: paths(d.base1) })
  const cacheFiles = (): string => sh("bash", ["-c", `cd ${cacheDir} && find . -type f -print0 | sort -z | xargs -0 sha256sum`])
  const before = cacheFiles()
  const r = await applyPackages({ root: base, cacheDir, install: paths([d.v1["appender"]!]) })
  t.equal(read(base, "usr/share/appender/data"), "appender original\nappended by %post\n")
  t.match(r.warnings.join("\n"), /a scriptlet modified .*usr\/share\/appender\/data in place; its import cache entry was dropped/)
  t.equal(cacheFiles().split("\n").filter((l) => !before.includes(l)).join("\n"), "", "no cache file changed (the touched entry is gone)")
  // a fresh root from the same cache sees the package's content, appended once
  const fresh = join(tmp(t), "b")
  await applyPackages({ root: fresh, cacheDir, install: paths([...d.base1, d.v1["appender"]!]) })
  t.equal(read(fresh, "usr/share/appender/data"), "appender original\nappended by %post\n")
  t.equal(read(base, "usr/share/appender/data"), "appender original\nappended by %post\n", "the first root is unaffected")
  // /etc files are copies: scripted's %pre appended to /etc/passwd, the cached setup is pristine
  const setupEntry = readdirSync(cacheDir).map((e) => join(cacheDir, e, "etc/passwd")).filter((p) => existsSync(p))
  t.equal(setupEntry.length, 1)
  t.notMatch(readFileSync(setupEntry[0]!, "utf8"), /scripted/)
})

t.test("re-running on a fresh root gives the same tree; scripts off runs none", async (t) => {
  const cacheDir = join(tmp(t), "cache")
  const a = join(tmp(t), "a")
  const b = join(tmp(t), "b")
  await applyPackages({ root: a, cacheDir, install: paths(d.base1) })
  await applyPackages({ root: b, cacheDir, install: paths(d.base1) })
  t.equal(listing(a).replace(/^\. d \d+/m, ""), listing(b).replace(/^\. d \d+/m, ""))
  t.equal(read(a, "var/lib/scripted/marks"), read(b, "var/lib/scripted/marks"))
  const c = join(tmp(t), "c")
  const r = await applyPackages({ root: c, cacheDir, install: paths(d.base1), scripts: false })
  t.same(r.scripts, [])
  t.notOk(existsSync(join(c, "var/lib/scripted/marks")))
})

t.test("hostile packages stay refused", async (t) => {
  const root = join(tmp(t), "root")
  mkdirSync(root)
  writeFileSync(join(root, "keep"), "x")
  await t.rejects(applyPackages({ root, cacheDir: join(tmp(t), "cache"), install: paths([d.localRpms.hostile]) }), /is not in the header/)
  t.notOk(existsSync("/tmp/evil"))
  t.same(readdirSync(root), ["keep"], "nothing written")
  await t.rejects(applyPackages({ root, cacheDir: join(tmp(t), "cache"), install: paths([d.v1["hello"]!, d.v1["hello"]!]) }), { reason: "Invalid", message: /hello is in the install set twice/ })
  // in a set, the hostile package stops the transaction before any scriptlet of a later package runs
  const root2 = join(tmp(t), "root2")
  await t.rejects(applyPackages({ root: root2, cacheDir: join(tmp(t), "cache"), install: paths([...d.base1, d.localRpms.hostile]) }), /is not in the header/)
  t.notOk(existsSync(join(root2, "var/lib/scripted/marks")), "scripted's %pre never ran")
  t.notOk(existsSync("/tmp/evil"))
})

t.test("applying onto a root rpm installed (its WAL-mode rpmdb), and rpm reading the result", async (t) => {
  const root = join(tmp(t), "root")
  rpmOracle(root, ["-i", ...d.base1])
  const before = rpmQa(root)
  const r = await applyPackages({ root, cacheDir: join(tmp(t), "cache"), install: paths([d.v1["extra-a"]!, d.v1["extra-b"]!]), erase: ["tool"] })
  t.same(r.erased, ["tool-1.0-1.x86_64"])
  t.same(rpmQa(root), [...before.filter((n) => !n.startsWith("tool-")), "extra-a-1.0-1.noarch", "extra-b-1.0-1.noarch"].sort())
  const v = spawnSync("rpm", ["--root", root, "--dbpath", "/usr/share/rpm", "-V", "extra-a", "extra-b", "hello"], { encoding: "utf8" })
  t.equal(v.stdout + v.stderr, "")
  // rpm can keep working on it: erase what strata installed
  rpmOracle(root, ["-e", "extra-a"])
  t.notOk(rpmQa(root).includes("extra-a-1.0-1.noarch"))
  t.notOk(existsSync(join(root, "usr/bin/extra-a")))
})

t.test("file conflicts are refused before anything changes, shared identical files are fine", async (t) => {
  const dir = tmp(t)
  const pkg = (name: string, content: string): string => {
    writeFileSync(join(dir, `${name}.rpm`), writePackage({ name, files: [{ path: "/usr/share/shared/file", mode: 0o100644, data: Buffer.from(content) }, { path: "/usr/share/shared", mode: 0o40755 }] }))
    return join(dir, `${name}.rpm`)
  }
  const [a, b, c] = [pkg("pa", "one\n"), pkg("pb", "two\n"), pkg("pc", "one\n")]
  const root = join(tmp(t), "root")
  const cacheDir = join(tmp(t), "cache")
  await t.rejects(applyPackages({ root, cacheDir, install: paths([a, b]) }), { reason: "Invalid", message: /file \/usr\/share\/shared\/file from install of pb-1\.0-1\.\S+ conflicts with file from package pa-1\.0-1\.\S+/ })
  t.notOk(existsSync(root), "nothing written")
  await applyPackages({ root, cacheDir, install: paths([a, c]) })
  t.same(rpmQa(root), ["pa-1.0-1.noarch", "pc-1.0-1.noarch"].map((n) => n.replace("noarch", sh("rpm", ["-qp", "--qf", "%{ARCH}", a]))).sort())
  await t.rejects(applyPackages({ root, cacheDir, install: paths([b]) }), /conflicts with file from package pa-1\.0-1/, "against installed packages too")
  // erasing pa alone leaves the file pc still owns
  await applyPackages({ root, cacheDir, erase: ["pa"] })
  t.equal(readFileSync(join(root, "usr/share/shared/file"), "utf8"), "one\n")
})

t.test("%config files an admin changed: .rpmnew on upgrade, .rpmsave on erase, as rpm does", async (t) => {
  const root = join(tmp(t), "root")
  const ref = join(tmp(t), "ref")
  const cacheDir = join(tmp(t), "cache")
  await applyPackages({ root, cacheDir, install: paths(d.base1) })
  rpmOracle(ref, ["-i", ...d.base1])
  for (const r of [root, ref]) writeFileSync(join(r, "etc/scripted.conf"), "edited by the admin\n")
  const up = await applyPackages({ root, cacheDir, install: paths([d.v2["scripted"]!]) })
  rpmOracle(ref, ["-U", d.v2["scripted"]!])
  t.ok(up.warnings.includes("/etc/scripted.conf created as /etc/scripted.conf.rpmnew"))
  const etc = (r: string) => readdirSync(join(r, "etc")).sort().map((f) => `${f}: ${read(r, `etc/${f}`)}`).join("")
  t.equal(etc(root), etc(ref), "same /etc as rpm -U")
  t.equal(read(root, "etc/scripted.conf"), "edited by the admin\n")
  t.equal(read(root, "etc/scripted.conf.rpmnew"), "scripted.conf 2\n")
  const er = await applyPackages({ root, cacheDir, erase: ["scripted"] })
  rpmOracle(ref, ["-e", "scripted"])
  t.ok(er.warnings.includes("/etc/scripted.conf saved as /etc/scripted.conf.rpmsave"))
  t.equal(etc(root), etc(ref), "same /etc as rpm -e")
})

// FUSE is a property of the machine, not of strata: without /dev/fuse the option has nothing to run on
const fuse = spawnSync("sh", ["-c", "test -c /dev/fuse && command -v rofiles-fuse"]).status === 0
t.test("rofiles: scripts cannot write in place into hardlinked files; everything else works", { skip: fuse ? false : "no /dev/fuse or rofiles-fuse here" }, async (t) => {
  const cacheDir = join(tmp(t), "cache")
  const root = join(tmp(t), "root")
  const r = await applyPackages({ root, cacheDir, install: paths(d.base1), rofiles: true })
  t.same(r.scripts.map((s) => s.ok), [true, true, true, true, true])
  t.equal(read(root, "var/lib/scripted/marks"), "pre 1 v1\npost 1 v1\nposttrans 1 v1\n")
  t.match(read(root, "etc/passwd"), /^scripted:/m)
  const cacheFiles = (): string => sh("bash", ["-c", `cd ${cacheDir} && find . -type f -print0 | sort -z | xargs -0 sha256sum`])
  const before = cacheFiles()
  const err = await applyPackages({ root, cacheDir, install: paths([d.v1["appender"]!]), rofiles: true }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ScriptletError)
  t.match((err as Error).message, /%post scriptlet of appender-1\.0-1\.noarch failed \(exit status 1\); its output:\n.*usr\/share\/appender\/data: Read-only file system/)
  t.equal(cacheFiles().split("\n").filter((l) => !before.includes(l)).filter((l) => !/appender/.test(l) && l).length, 0)
  t.equal(read(root, "usr/share/appender/data"), "appender original\n", "the shared inode was not written")
  t.notMatch(readFileSync("/proc/self/mountinfo", "utf8"), new RegExp(`rofiles-fuse.*strata-scriptlet`), "no mount left behind")
  t.notMatch(readFileSync("/proc/self/mountinfo", "utf8"), /strata-scriptlet-/, "no mount left behind")
})

t.test("rofiles copyup (compose): a script's in-place write lands in a private copy; the cache entry stays", { skip: fuse ? false : "no /dev/fuse or rofiles-fuse here" }, async (t) => {
  const cacheDir = join(tmp(t), "cache")
  const root = join(tmp(t), "root")
  await applyPackages({ root, cacheDir, install: paths(d.base1), rofiles: "copyup" })
  const cacheFiles = (): string => sh("bash", ["-c", `cd ${cacheDir} && find . -type f -print0 | sort -z | xargs -0 sha256sum`])
  const before = cacheFiles()
  const r = await applyPackages({ root, cacheDir, install: paths([d.v1["appender"]!]), rofiles: "copyup" })
  t.equal(read(root, "usr/share/appender/data"), "appender original\nappended by %post\n", "the script's append is in the root")
  t.notMatch(r.warnings.join("\n"), /import cache entry was dropped/, "nothing wrote through a link: no entry had to be dropped")
  const after = cacheFiles()
  t.same(before.split("\n").filter((l) => !after.includes(l)), [], "every cache file of the earlier packages is unchanged")
  const entry = readdirSync(cacheDir).map((e) => join(cacheDir, e, "usr/share/appender/data")).filter((p) => existsSync(p))
  t.equal(entry.length, 1, "the appender entry is kept")
  t.equal(readFileSync(entry[0]!, "utf8"), "appender original\n", "and holds the package's own content")
  t.notMatch(readFileSync("/proc/self/mountinfo", "utf8"), /strata-scriptlet-/, "no mount left behind")
})

t.test("a file trigger installed later runs on the matching files already there, as rpm's does", async (t) => {
  const root = join(tmp(t), "root")
  const ref = join(tmp(t), "ref")
  const cacheDir = join(tmp(t), "cache")
  const first = ["filesystem", "busybox", "fixture-docs"].map((n) => d.v1[n]!)
  await applyPackages({ root, cacheDir, install: paths(first) })
  rpmOracle(ref, ["-i", ...first])
  t.notOk(existsSync(join(root, "var/lib/fixture-docs/index")))
  await applyPackages({ root, cacheDir, install: paths([d.v1["fixture-docs-index"]!]) })
  rpmOracle(ref, ["-i", d.v1["fixture-docs-index"]!])
  t.equal(read(root, "var/lib/fixture-docs/index"), "trigger 0 \n/usr/share/fixture-docs\n/usr/share/fixture-docs/base.txt\n")
  t.equal(read(root, "var/lib/fixture-docs/index"), read(ref, "var/lib/fixture-docs/index"))
  // and a later package's files reach it alone
  await applyPackages({ root, cacheDir, install: paths([d.v1["extra-b"]!]) })
  rpmOracle(ref, ["-i", d.v1["extra-b"]!])
  t.equal(read(root, "var/lib/fixture-docs/index"), read(ref, "var/lib/fixture-docs/index"))
})
