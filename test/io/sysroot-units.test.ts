/**
 * The pure and small pieces of the sysroot layer: kernel arguments, kernel discovery and
 * bootcsum, os-release and BLS titles, list planning, origins and pins, the /etc diff. Where
 * the real ostree can decide a case cheaply it is the oracle.
 */
import t from "tap"
import { createHash } from "node:crypto"
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { sysrootTmp, makeOsTree, snapshot } from "../helpers/sysroot.js"
import { ostree, ostreeCommit, strataDeploy } from "../helpers/sysroot-flow.js"
import {
  appendKarg, appendKargIfKeyMissing, deleteKarg, editKargs, formatKargs, kargsWithoutOstree, lastKargValue, newReplaceKarg, parseKargs, replaceKarg,
} from "../../src/io/sysroot/kargs.js"
import { findKernel } from "../../src/io/sysroot/kernel.js"
import { blsEntryFor, parseOsRelease, shellUnquote } from "../../src/io/sysroot/bls-entry.js"
import { assignBootserials, mergeDeploymentFor, planWrite, simpleDeploymentList } from "../../src/io/sysroot/plan.js"
import { originForRefspec, originRefspec, originWithPinned, originWithoutTransient } from "../../src/io/sysroot/origin.js"
import { diffEtc } from "../../src/io/sysroot/etc-merge.js"
import { initFs, osInit } from "../../src/io/sysroot/layout.js"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { cleanupSysroot } from "../../src/io/sysroot/cleanup.js"
import { spawnSync } from "node:child_process"
import type { Deployment } from "../../src/io/sysroot/types.js"

const k = (s: string, f: (x: ReturnType<typeof parseKargs>) => ReturnType<typeof parseKargs>) => formatKargs(f(parseKargs(s)))

t.test("kernel arguments behave like ostree-kernel-args.c", async (t) => {
  t.equal(formatKargs(parseKargs("a  b=1 c=")), "a  b=1 c=", "text round-trips, empty entries and `key=` included")
  t.same(parseKargs(""), [], "empty options: no arguments")
  t.equal(k("console=tty0 quiet console=ttyS0 rw", (x) => replaceKarg(x, "console=hvc0")), "console=hvc0 quiet rw", "replace collapses every entry of a key at its first position")
  t.equal(k("rw", (x) => replaceKarg(x, "ostree=/x")), "rw ostree=/x", "replace of a new key appends")
  t.equal(k("console=tty0", (x) => appendKarg(x, "console=ttyS0")), "console=tty0 console=ttyS0", "append keeps existing entries")
  t.equal(k("a=1 b", (x) => deleteKarg(x, "a")), "b", "delete by key with one entry")
  t.throws(() => deleteKarg(parseKargs("a=1"), "a=2"), { code: "InvalidKarg" }, "delete with a value that does not match")
  t.throws(() => deleteKarg(parseKargs("c=1 c=2"), "c"), { code: "InvalidKarg" }, "delete by key when it has several values")
  t.equal(k("c=1 c=2", (x) => deleteKarg(x, "c=2")), "c=1", "delete one of several values")
  t.throws(() => deleteKarg(parseKargs("a"), "b"), { code: "InvalidKarg" }, "delete of a missing key")
  t.equal(k("a=1 b=2", (x) => newReplaceKarg(x, "a=3")), "a=3 b=2", "rpm-ostree --replace KEY=VALUE")
  t.equal(k("c=1 c=2", (x) => newReplaceKarg(x, "c=2=9")), "c=1 c=9", "rpm-ostree --replace KEY=OLD=NEW")
  t.throws(() => newReplaceKarg(parseKargs("c=1 c=2"), "c=5"), { code: "InvalidKarg" }, "--replace KEY=VALUE with several values")
  t.throws(() => newReplaceKarg(parseKargs("c=1"), "d=5"), { code: "InvalidKarg" }, "--replace of a missing key")
  t.equal(k("a=1", (x) => appendKargIfKeyMissing(x, "a=2")), "a=1", "edit-in-place --append-if-missing looks at the key")
  t.equal(editKargs("a=1 b c=1 c=2", { delete: ["b"], replace: ["a=2"], append: ["d"], appendIfMissing: ["c=1", "e=1"], deleteIfPresent: ["c=2", "zz"] }), "a=2 c=1 d e=1", "rpm-ostree order: delete, replace, append, append-if-missing, delete-if-present")
  t.throws(() => editKargs("a", { delete: ["nope"] }), { code: "InvalidKarg" }, "a bad edit is an error, not a partial edit")
  t.equal(kargsWithoutOstree("root=/dev/sda ostree=/ostree/boot.0/x/y/0 rw"), "root=/dev/sda rw")
  t.equal(lastKargValue(parseKargs("c=1 c=2 q"), "c"), "2")
  t.equal(lastKargValue(parseKargs("q"), "q"), null)
})

t.test("kargs through ostree admin deploy --karg/--karg-append/--karg-delete and instutil set-kargs", async (t) => {
  const dir = sysrootTmp(t)
  const S = join(dir, "s")
  mkdirSync(S)
  ostree(["admin", "init-fs", S])
  ostree(["admin", "os-init", "testos", `--sysroot=${S}`])
  const tree = join(dir, "tree")
  makeOsTree(tree)
  ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "1")
  const options = async () => kargsWithoutOstree((await loadSysroot(S)).deployments[0]!.kargs)
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "--karg=root=/dev/vda1", "--karg-append=console=tty0", "--karg-append=console=ttyS0", "--karg=quiet", "testos/stable"])
  // ostree applies every --karg, then every --karg-append, then --karg-delete (not argv order)
  let expect = k("", (x) => appendKarg(appendKarg(replaceKarg(replaceKarg(x, "root=/dev/vda1"), "quiet"), "console=tty0"), "console=ttyS0"))
  t.equal(await options(), expect, "all --karg, then all --karg-append")
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "--karg-delete=console=tty0", "--karg=rw", "testos/stable"])
  expect = k(expect, (x) => deleteKarg(replaceKarg(x, "rw"), "console=tty0"))
  t.equal(await options(), expect, "merge deployment's kargs, --karg, then --karg-delete")
  ostree(["admin", "instutil", "set-kargs", `--sysroot=${S}`, "--merge", "--replace=console=hvc0", "--append=foo=bar"])
  expect = k(expect, (x) => appendKarg(replaceKarg(x, "console=hvc0"), "foo=bar"))
  t.equal(await options(), expect, "set-kargs --merge --replace --append")
})

const sha = (...parts: string[]) => createHash("sha256").update(parts.join("")).digest("hex")

t.test("kernel discovery and bootcsum (get_kernel_from_tree)", async (t) => {
  const dir = tmp(t)
  const mod = (root: string, kver: string, files: Record<string, string>) => {
    mkdirSync(join(root, "usr/lib/modules", kver), { recursive: true })
    for (const [n, c] of Object.entries(files)) {
      mkdirSync(join(root, "usr/lib/modules", kver, n, ".."), { recursive: true })
      writeFileSync(join(root, "usr/lib/modules", kver, n), c)
    }
  }
  const a = join(dir, "a")
  mod(a, "6.1.0", { vmlinuz: "K", "initramfs.img": "I", ".vmlinuz.hmac": "H" })
  let l = await findKernel({ root: a })
  t.equal(l.bootcsum, sha("K", "I"), "sha256(vmlinuz ‖ initramfs.img)")
  t.same([l.kernel.name, l.initramfs?.name, l.hmac?.name], ["vmlinuz-6.1.0", "initramfs-6.1.0.img", ".vmlinuz-6.1.0.hmac"], "installed names")
  t.equal((await findKernel({ root: a, hash: false })).bootcsum, "", "hash: false skips the hashing")

  const b = join(dir, "b")
  mod(b, "5.0", { vmlinuz: "K", initramfs: "I2", devicetree: "D" })
  l = await findKernel({ root: b })
  t.equal(l.bootcsum, sha("K", "I2", "D"), "`initramfs` also accepted; devicetree hashed after it")
  t.equal(l.devicetree?.name, "devicetree-5.0")

  const c = join(dir, "c")
  mod(c, "5.1", { vmlinuz: "K", "dtb/z.dtb": "Z", "dtb/a/b.dtb": "B", "dtb/m.dtb": "M" })
  l = await findKernel({ root: c })
  t.equal(l.bootcsum, sha("K", "B", "M", "Z"), "dtb/ hashed recursively in strcmp order")

  const d = join(dir, "d")
  mkdirSync(join(d, "usr/lib/modules/6.0/extra"), { recursive: true })
  mkdirSync(join(d, "usr/lib/ostree-boot"), { recursive: true })
  const cs = "ab".repeat(32)
  writeFileSync(join(d, "usr/lib/ostree-boot", `vmlinuz-6.0-${cs}`), "K")
  writeFileSync(join(d, "usr/lib/ostree-boot", `initramfs-6.0.img-${cs}`), "I")
  l = await findKernel({ root: d })
  t.same([l.layout, l.bootcsum, l.kernel.name, l.initramfs?.name], ["legacy", cs, "vmlinuz-6.0", "initramfs-6.0.img"], "legacy names carry the bootcsum")
  mod(d, "6.0", { vmlinuz: "K" })
  t.equal((await findKernel({ root: d })).layout, "legacy", "legacy wins when only it has an initramfs")
  mod(d, "6.0", { "initramfs.img": "I" })
  t.equal((await findKernel({ root: d })).layout, "modules", "otherwise usr/lib/modules wins")
  writeFileSync(join(d, "usr/lib/ostree-boot", `devicetree-6.0-${"cd".repeat(32)}`), "D")
  rmSync(join(d, "usr/lib/modules"), { recursive: true })
  await t.rejects(findKernel({ root: d }), { code: "NoKernel" }, "mismatched legacy checksums are refused")

  await t.rejects(findKernel({ root: join(dir, "empty") }), { code: "NoKernel", reason: "NotFound" }, "no kernel anywhere")
  const e = join(dir, "e")
  mkdirSync(join(e, "usr/lib/modules/6.3/vmlinuz"), { recursive: true })
  await t.rejects(findKernel({ root: e }), { code: "NoKernel" }, "a vmlinuz that is not a regular file does not count")
})

t.test("devicetree, dtb/ and hmac land in /boot like ostree puts them", async (t) => {
  const dir = sysrootTmp(t)
  const tree = join(dir, "tree")
  makeOsTree(tree)
  const m = join(tree, "usr/lib/modules/6.1.0")
  mkdirSync(join(m, "dtb/vendor"), { recursive: true })
  writeFileSync(join(m, "dtb/vendor/board.dtb"), "dtb\n")
  writeFileSync(join(m, ".vmlinuz.hmac"), "hmac\n")
  const A = join(dir, "a")
  mkdirSync(A)
  ostree(["admin", "init-fs", A])
  ostree(["admin", "os-init", "testos", `--sysroot=${A}`])
  const B = join(dir, "b")
  await initFs(B)
  await osInit({ sysroot: B, stateroot: "testos" })
  for (const S of [A, B]) ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "1")
  ostree(["admin", "deploy", `--sysroot=${A}`, "--os=testos", "--karg=rw", "testos/stable"])
  await strataDeploy({ sysroot: B, stateroot: "testos", refspec: "testos/stable", kargs: "rw" })
  t.same(snapshot(join(B, "boot")), snapshot(join(A, "boot")), "same /boot: bootcsum dir, dtb/, .vmlinuz-$kver.hmac, entry with fdtdir")
  t.match(readFileSync(join(B, "boot/loader/entries/ostree-1-testos.conf"), "utf8"), /^fdtdir \/ostree\/testos-[0-9a-f]{64}\/dtb$/m)
})

t.test("os-release and titles", async (t) => {
  t.equal(shellUnquote(`"Fedora Linux 39 (\\"Thirty\\" \\\\ Nine)"`), `Fedora Linux 39 ("Thirty" \\ Nine)`)
  t.equal(shellUnquote(`'single $quoted'`), "single $quoted")
  t.equal(shellUnquote(`plain\\ word`), "plain word")
  t.equal(shellUnquote(`"unterminated`), undefined)
  const m = parseOsRelease(`# comment\nNAME=Foo\nPRETTY_NAME="Foo 1.0"\nBAD="x\nID=foo\n`)
  t.equal(m.get("PRETTY_NAME"), "Foo 1.0")
  t.equal(m.has("BAD"), false, "a value that does not unquote is skipped")
  const d: Deployment = { stateroot: "os", checksum: "c".repeat(64), serial: 0, bootcsum: "b".repeat(64), bootserial: 0, index: 0, origin: "", kargs: "rw", version: "1.0", pinned: false }
  const kernel = { layout: "modules" as const, dir: "/x", kver: "6", kernel: { src: "/x/vmlinuz", name: "vmlinuz-6" }, initramfs: { src: "/x/i", name: "initramfs-6.img" }, bootcsum: d.bootcsum }
  t.equal(blsEntryFor({ deployment: d, kernel, name: "Foo 1.0", bootversion: 1, count: 2, showStateroot: false }).title, "Foo 1.0 (ostree:0)", "a version already in the name is not repeated")
  const e = blsEntryFor({ deployment: { ...d, index: 1, kargs: "a ostree=/old b" }, kernel, name: "Foo", bootversion: 1, count: 2, showStateroot: true })
  t.same([e.title, e.version, e.options], ["Foo 1.0 (ostree:os:1)", "1", `a ostree=/ostree/boot.1/os/${d.bootcsum}/0 b`], "stateroot in title, version = count − index, ostree= replaced in place")
})

const dep = (over: Partial<Deployment>): Deployment => ({
  stateroot: "os", checksum: "a".repeat(64), serial: 0, bootcsum: "k".repeat(64), bootserial: 0, index: 0, origin: "", kargs: "rw", version: "1", pinned: false, ...over,
})

t.test("deployment list planning", async (t) => {
  const d1 = dep({ checksum: "1".repeat(64) })
  const d2 = dep({ checksum: "2".repeat(64) })
  const d3 = dep({ checksum: "3".repeat(64), bootcsum: "z".repeat(64) })
  t.same(assignBootserials([d1, d2, d3, d1]).map((d) => [d.index, d.bootserial]), [[0, 0], [1, 1], [2, 0], [3, 2]], "bootserial counts per bootcsum")
  const cur = assignBootserials([d1, d2])
  t.equal(planWrite(cur, assignBootserials([d1, d2])), "noop")
  t.equal(planWrite(cur, assignBootserials([d2, d1])), "subbootversion", "reorder of identical boot configs")
  t.equal(planWrite(cur, assignBootserials([d1, { ...d2, kargs: "ro" }])), "bootversion", "kargs changed")
  t.equal(planWrite(cur, assignBootserials([d1, { ...d2, kargs: `rw ostree=/ostree/boot.1/os/${d2.bootcsum}/1` }])), "noop", "ostree= does not count")
  t.equal(planWrite(cur, assignBootserials([d1, { ...d2, version: "2" }])), "bootversion", "version changed")
  t.equal(planWrite(cur, assignBootserials([d1])), "bootversion", "count changed")
  t.equal(planWrite(cur, assignBootserials([d1, { ...d2, stateroot: "other" }])), "bootversion", "stateroot changed")

  const a = dep({ checksum: "a".repeat(64) })
  const b = dep({ checksum: "b".repeat(64) })
  const c = dep({ checksum: "c".repeat(64), pinned: true })
  const o = dep({ checksum: "d".repeat(64), stateroot: "other" })
  const e = dep({ checksum: "e".repeat(64) })
  const n = dep({ checksum: "f".repeat(64) })
  const list = [a, b, c, o, e]
  t.equal(mergeDeploymentFor({ deployments: list, stateroot: "os" }), a, "merge: first of the stateroot")
  t.equal(mergeDeploymentFor({ deployments: list, stateroot: "os", bootedIndex: 1 }), b, "merge: the booted one")
  const names = (l: Deployment[]) => l.map((d) => d.checksum[0]).join("")
  t.equal(names(simpleDeploymentList({ current: list, added: n, stateroot: "os", merge: a })), "facd", "new, merge, pinned, other stateroot")
  t.equal(names(simpleDeploymentList({ current: list, added: n, stateroot: "os", merge: a, bootedIndex: 1 })), "fabcd", "…and the booted one; pending merge kept")
  t.equal(names(simpleDeploymentList({ current: list, added: n, stateroot: "os", merge: a, notAsDefault: true })), "afcd", "--not-as-default: after the merge deployment")
  t.equal(names(simpleDeploymentList({ current: list, added: n, stateroot: "os", merge: a, retain: true })), "fabcde", "--retain keeps everything")
  t.equal(names(simpleDeploymentList({ current: list, added: n, stateroot: "os", merge: b, bootedIndex: 1, retainRollback: true })), "fbcde", "--retain-rollback: booted + everything after it")
  t.equal(names(simpleDeploymentList({ current: [], added: n, stateroot: "os" })), "f", "first deployment")
})

t.test("origins and pins", async (t) => {
  const o = originForRefspec("remote:os/x86_64/stable")
  t.equal(o, "[origin]\nrefspec=remote:os/x86_64/stable\n")
  t.equal(originRefspec(o), "remote:os/x86_64/stable")
  const pinned = originWithPinned(o, true)
  t.equal(pinned, "[origin]\nrefspec=remote:os/x86_64/stable\n\n[libostree-transient]\npinned=true\n", "ostree's pinned origin text")
  t.equal(originWithPinned(pinned, false), "[origin]\nrefspec=remote:os/x86_64/stable\n\n[libostree-transient]\n", "unpin leaves the empty group, like GLib")
  t.equal(originWithoutTransient(pinned), o, "a new deployment drops transient state")
  t.equal(originRefspec("[origin]\nbaserefspec=fedora:fedora/39/x86_64/silverblue\n\n[packages]\nrequested=vim;\n"), "fedora:fedora/39/x86_64/silverblue", "rpm-ostree's baserefspec")
})

t.test("/etc diff", async (t) => {
  const dir = tmp(t)
  const orig = join(dir, "usr-etc")
  const mod = join(dir, "etc")
  for (const r of [orig, mod]) {
    mkdirSync(join(r, "d"), { recursive: true })
    writeFileSync(join(r, "same"), "1")
    writeFileSync(join(r, "d/x"), "1")
    writeFileSync(join(r, "perm"), "1")
  }
  writeFileSync(join(orig, "gone"), "1")
  writeFileSync(join(orig, "changed"), "1")
  writeFileSync(join(mod, "changed"), "2")
  chmodSync(join(mod, "perm"), 0o600)
  mkdirSync(join(mod, "new/deep"), { recursive: true })
  writeFileSync(join(mod, "new/deep/f"), "1")
  symlinkSync("same", join(mod, "link"))
  const diff = diffEtc({ orig, modified: mod })
  t.same([...diff.modified].sort(), ["changed", "perm"])
  t.same(diff.removed, ["gone"])
  t.same([...diff.added].sort(), ["link", "new", "new/deep", "new/deep/f"], "an added directory lists everything below it")
})

t.test("deployment refs: no temp file beside them, and cleanup removes one an older strata left", async (t) => {
  const dir = sysrootTmp(t)
  const S = join(dir, "s")
  await initFs(S)
  await osInit({ sysroot: S, stateroot: "testos" })
  const tree = join(dir, "tree")
  makeOsTree(tree)
  ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", "1")
  await strataDeploy({ sysroot: S, stateroot: "testos", refspec: "testos/stable" })
  const refsDir = join(S, "ostree/repo/refs/heads/ostree")
  t.notOk(snapshot(refsDir).some((l) => l.includes(".tmp")), "refs are written through repo/tmp")
  // What a SIGKILL between writing and renaming a ref used to leave: ostree reads it as a ref.
  const b = (await loadSysroot(S)).bootversion
  writeFileSync(join(refsDir, `${b}/1/1.tmp-12345`), "")
  t.not(spawnSync("ostree", ["fsck", `--repo=${S}/ostree/repo`]).status, 0, "ostree fsck fails on it")
  await cleanupSysroot({ sysroot: S })
  t.notOk(snapshot(refsDir).some((l) => l.includes(".tmp")), "cleanup removed it")
  t.match(ostree(["fsck", `--repo=${S}/ostree/repo`]), /no errors found/, "ostree fsck is clean again")
})
