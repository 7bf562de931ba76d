// Initramfs regeneration with the tree's own dracut in bubblewrap: the fixture distribution's fake
// dracut (a busybox sh script that writes an image naming its kernel version, arguments and
// /etc/fixture-initramfs) unpacked with rpm2cpio | cpio into a test root; the appended /etc
// overlay read back with cpio(1).
import t from "tap"
import { execFileSync } from "node:child_process"
import { chmodSync, linkSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { buildDistro } from "../helpers/distro.js"
import { NO_DRACUT, regenerateInitramfs } from "../../src/io/initramfs/regenerate.js"

const distro = await buildDistro()

const unpack = (root: string, rpms: string[]) => {
  mkdirSync(root, { recursive: true })
  for (const r of rpms) execFileSync("sh", ["-c", `rpm2cpio '${r}' | cpio -idm --quiet`], { cwd: root })
}

const makeRoot = (dir: string, withDracut: boolean): string => {
  const root = join(dir, "root")
  unpack(root, ["filesystem", "setup", "busybox", "kernel", ...(withDracut ? ["dracut"] : [])].map((n) => distro.v1[n]!))
  mkdirSync(join(root, "etc/fixture-initramfs"), { recursive: true })
  writeFileSync(join(root, "etc/fixture-initramfs/a.conf"), "a\n")
  writeFileSync(join(root, "etc/crypttab"), "luks-1 UUID=1 none\n")
  return root
}

/** The members of the cpio that starts at the first newc magic after dracut's text image. */
const overlayOf = (image: Buffer, dir: string): { names: string[]; file: (n: string) => string } => {
  const at = image.indexOf("070701")
  const p = join(dir, "overlay.cpio")
  writeFileSync(p, image.subarray(at))
  const names = execFileSync("sh", ["-c", `cpio -it --quiet < '${p}'`], { encoding: "utf8" }).trim().split("\n")
  return { names, file: (n) => execFileSync("sh", ["-c", `cpio -i --quiet --to-stdout '${n}' < '${p}'`], { encoding: "utf8" }) }
}

t.test("the tree's dracut, in bubblewrap, with rpm-ostree's arguments; /etc files appended", async (t) => {
  const dir = tmp(t)
  const root = makeRoot(dir, true)
  const img = join(root, "usr/lib/modules", distro.kver1, "initramfs.img")
  const objectCopy = join(dir, "object")
  linkSync(img, objectCopy) // the checkout's file is a repository object: never written through
  const before = readFileSync(objectCopy, "utf8")
  const r = await regenerateInitramfs({ root, args: ["--add=foo", "-I", "/etc/x y"], etcFiles: ["/etc/crypttab"] })
  t.equal(r.kver, distro.kver1, "the tree's only kernel")
  t.match(r.output, /Creating image file '\/tmp\/out\/initramfs.img' done/)
  const image = readFileSync(img)
  const text = image.subarray(0, image.indexOf("070701")).toString()
  t.equal(text, [
    "fixture initramfs by dracut",
    `kver=${distro.kver1}`,
    "args= -v --add ostree --tmpdir=/tmp/dracut --no-hostonly --add=foo -I /etc/x y",
    "etc=a.conf", "",
  ].join("\n"), "no --reproducible (this dracut lacks it), base args default to --no-hostonly, then the origin's")
  const ov = overlayOf(image, dir)
  t.same(ov.names, ["etc", "etc/crypttab"])
  t.equal(ov.file("etc/crypttab"), "luks-1 UUID=1 none\n")
  t.equal(readFileSync(objectCopy, "utf8"), before, "the old inode is untouched (renamed over, not rewritten)")

  const again = await regenerateInitramfs({ root, kver: distro.kver1, baseArgs: ["--no-hostonly", "--add", "lvm"] })
  t.match(readFileSync(img, "utf8"), /^fixture initramfs by dracut\nkver=.*\nargs= -v --add ostree --tmpdir=\/tmp\/dracut --no-hostonly --add lvm\netc=a.conf\n$/, "idempotent re-run; the base commit's initramfs-args replace the default")
  t.equal(again.path, img)
})

t.test("the deployment's /etc is the sandbox's /etc", async (t) => {
  const dir = tmp(t)
  const root = makeRoot(dir, true)
  const etc = join(dir, "merge-etc")
  mkdirSync(join(etc, "fixture-initramfs"), { recursive: true })
  writeFileSync(join(etc, "fixture-initramfs/from-merge.conf"), "m\n")
  writeFileSync(join(etc, "vconsole.conf"), "KEYMAP=de\n")
  await regenerateInitramfs({ root, etcDir: etc, etcFiles: ["/etc/vconsole.conf"] })
  const image = readFileSync(join(root, "usr/lib/modules", distro.kver1, "initramfs.img"))
  t.match(image.toString("latin1"), /etc=from-merge.conf\n/)
  t.equal(overlayOf(image, dir).file("etc/vconsole.conf"), "KEYMAP=de\n")
})

t.test("no dracut in the tree: a clear error, nothing changed; initramfs-etc alone needs none", async (t) => {
  const dir = tmp(t)
  const root = makeRoot(dir, false)
  const img = join(root, "usr/lib/modules", distro.kver1, "initramfs.img")
  const before = readFileSync(img)
  await t.rejects(regenerateInitramfs({ root }), { _tag: "InitramfsError", reason: "Unsupported", message: `initramfs: ${NO_DRACUT}` })
  t.same(readFileSync(img), before)
  t.equal(NO_DRACUT, "the deployment has no /usr/bin/dracut; regenerating the initramfs needs dracut in the base image")
  await regenerateInitramfs({ root, dracut: false, etcFiles: ["/etc/crypttab"] })
  const after = readFileSync(img)
  t.same(after.subarray(0, before.length), before, "the base image first")
  t.same(overlayOf(after.subarray(before.length), dir).names, ["etc", "etc/crypttab"], "then the /etc overlay")
})

t.test("dracut fails, bad input: errors name the cause, the image stays", async (t) => {
  const dir = tmp(t)
  const root = makeRoot(dir, true)
  writeFileSync(join(root, "usr/bin/dracut"), "#!/bin/sh\necho 'dracut: boom: missing module' >&2\nexit 1\n")
  chmodSync(join(root, "usr/bin/dracut"), 0o755)
  const img = join(root, "usr/lib/modules", distro.kver1, "initramfs.img")
  const before = readFileSync(img)
  await t.rejects(regenerateInitramfs({ root }), { _tag: "InitramfsError", reason: "ScriptFailed", message: /dracut failed \(exit status 1\); its output:\n.*dracut: boom: missing module/ })
  await t.rejects(regenerateInitramfs({ root, etcFiles: ["/var/lib/x"] }), { _tag: "InitramfsError", reason: "Invalid", message: /"\/var\/lib\/x" is not a path under \/etc/ })
  await t.rejects(regenerateInitramfs({ root, etcFiles: ["/etc/../shadow"] }), { _tag: "InitramfsError", message: /not a path under \/etc/ })
  await t.rejects(regenerateInitramfs({ root, etcFiles: ["/etc/nope"] }), { _tag: "InitramfsError", message: /\/etc\/nope does not exist in the deployment's \/etc/ })
  await t.rejects(regenerateInitramfs({ root, kver: "9.9" }), { _tag: "InitramfsError", reason: "NotFound", message: /no kernel 9\.9/ })
  t.same(readFileSync(img), before)
  t.notOk(existsSync(`${img}.strata-tmp`), "no temporary left in the tree")
})
