/**
 * The initramfs of a compose: the tree's own dracut (the fixture distribution's fake one, which
 * writes an image naming its kernel version and arguments) with `initramfs-args` or
 * `--no-hostonly`, recorded as `rpmostree.initramfs-args`; `no-initramfs` leaves none; a tree
 * without dracut keeps the kernel package's image, and `initramfs-args` there is refused.
 */
import t from "tap"
import { spawnSync } from "node:child_process"
import { composeWorkspace } from "../helpers/distro.js"
import { sh } from "../helpers/tmp.js"

t.test("compose runs the tree's dracut, honours initramfs-args and no-initramfs", async (t) => {
  const w = await composeWorkspace(t, "bare", "strata-compose-initramfs-")
  const { repo } = w
  const compose = (ref: string, extra: Record<string, unknown>, packages = "filesystem setup busybox fixture-release kernel") => w.compose({ ref, packages: [packages], ...extra })
  const ostree = (...args: string[]) => spawnSync("ostree", [`--repo=${repo}`, ...args], { encoding: "utf8" })
  const kver = (ref: string): string => ostree("show", "--print-metadata-key=ostree.linux", ref).stdout.trim().replace(/^'|'$/g, "")
  const image = (ref: string) => ostree("cat", ref, `/usr/lib/modules/${kver(ref)}/initramfs.img`)

  const plain = compose("test/plain", {})
  t.equal(plain.status, 0, plain.stderr)
  const packaged = image("test/plain")
  t.equal(packaged.status, 0, "a tree without dracut keeps its kernel package's initramfs")
  t.notMatch(packaged.stdout, /by dracut/)
  t.not(ostree("show", "--print-metadata-key=rpmostree.initramfs-args", "test/plain").status, 0, "no initramfs-args recorded")

  const dflt = compose("test/dracut", {}, "filesystem setup busybox fixture-release kernel dracut")
  t.equal(dflt.status, 0, dflt.stderr)
  const made = image("test/dracut").stdout
  t.match(made, /^fixture initramfs by dracut\n/, "the tree's dracut made the image")
  t.match(made, new RegExp(`^kver=${kver("test/dracut").replace(/\./g, "\\.")}$`, "m"), "for the tree's kernel")
  t.match(made, /^args=.* --no-hostonly$/m, "with --no-hostonly when the treefile gives no arguments")

  const withArgs = compose("test/args", { "initramfs-args": ["--add", "lvm", "--filesystems", "ext4"] }, "filesystem setup busybox fixture-release kernel dracut")
  t.equal(withArgs.status, 0, withArgs.stderr)
  t.match(image("test/args").stdout, /^args=.* --add lvm --filesystems ext4$/m, "initramfs-args replace --no-hostonly")
  t.equal(ostree("show", "--print-metadata-key=rpmostree.initramfs-args", "test/args").stdout.trim(), "['--add', 'lvm', '--filesystems', 'ext4']", "and are recorded for the client")

  const none = compose("test/none", { "no-initramfs": true }, "filesystem setup busybox fixture-release kernel dracut")
  t.equal(none.status, 0, none.stderr)
  t.not(image("test/none").status, 0, "no-initramfs: no image in the commit")
  t.equal(ostree("cat", "test/none", `/usr/lib/modules/${kver("test/none")}/vmlinuz`).status, 0, "the kernel is still there")

  const bad = compose("test/bad", { "initramfs-args": ["--add", "lvm"] })
  t.not(bad.status, 0, "initramfs-args without dracut in the tree is refused")
  t.match(bad.stderr, /initramfs-args: the tree has no \/usr\/bin\/dracut/)
  t.equal(bad.stderr.trim().split("\n").length, 1, "one error line")
  t.not(ostree("rev-parse", "test/bad").status, 0, "no ref was written")
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)
})
