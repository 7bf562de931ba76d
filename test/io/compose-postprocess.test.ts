/**
 * postprocess on a hand-made root (no packages): mutate-os-release, opt-usrlocal, container.
 * The files written are new inodes — the os-release the package shipped is a hardlink into the
 * import cache and must stay as it was.
 */
import t from "tap"
import { linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { loadTreefile, type Treefile } from "../../src/formats/treefile.js"
import { postprocess } from "../../src/io/compose/postprocess.js"
import { tmp } from "../helpers/tmp.js"

const OS_RELEASE = 'NAME="Fixture"\nVERSION="41 (Fixture)"\nID=fixture\nVERSION_ID=41\nPRETTY_NAME="Fixture 41 (Fixture)"\n'

const treefile = (yaml: string): Treefile => loadTreefile({ path: "tf.yaml", basearch: "x86_64", readFile: () => `ref: x\npackages: [a]\n${yaml}` })

/** A root as packages leave it: UsrMove links, /etc/os-release → ../usr/lib/os-release (a cache hardlink), a kernel in /boot, /opt content. */
const makeRoot = (t: Parameters<typeof tmp>[0]): { root: string; cached: string } => {
  const dir = tmp(t)
  const root = join(dir, "root")
  for (const d of ["usr/bin", "usr/lib", "etc", "boot", "opt/app", "var", "usr/local"]) mkdirSync(join(root, d), { recursive: true })
  symlinkSync("usr/bin", join(root, "bin"))
  const cached = join(dir, "cache-os-release")
  writeFileSync(cached, OS_RELEASE, { mode: 0o644 })
  linkSync(cached, join(root, "usr/lib/os-release"))
  symlinkSync("../usr/lib/os-release", join(root, "etc/os-release"))
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
  writeFileSync(join(root, "etc/group"), "root:x:0:\n")
  writeFileSync(join(root, "boot/vmlinuz-6.1.0"), "kernel")
  writeFileSync(join(root, "boot/initramfs-6.1.0.img"), "initramfs")
  writeFileSync(join(root, "opt/app/tool"), "tool")
  return { root, cached }
}

t.test("mutate-os-release: VERSION and PRETTY_NAME get the commit's version, OSTREE_VERSION is added, the cache is untouched", async (t) => {
  const { root, cached } = makeRoot(t)
  await postprocess({ root, treefile: treefile("mutate-os-release: '41'\n"), installed: [], version: "41.20261127.0" })
  const text = readFileSync(join(root, "usr/lib/os-release"), "utf8")
  t.match(text, /^VERSION="41\.20261127\.0 \(Fixture\)"$/m)
  t.match(text, /^PRETTY_NAME="Fixture 41\.20261127\.0 \(Fixture\)"$/m)
  t.match(text, /^VERSION_ID=41$/m, "other fields keep the release")
  t.match(text, /^OSTREE_VERSION='41\.20261127\.0'$/m)
  t.equal(readFileSync(cached, "utf8"), OS_RELEASE, "the import cache's file is unchanged")
  t.equal(statSync(join(root, "usr/lib/os-release")).mode & 0o777, 0o644)
  t.equal(readlinkSync(join(root, "usr/etc/os-release")), "../usr/lib/os-release", "the /etc link is kept")
})

t.test("mutate-os-release without a version changes nothing", async (t) => {
  const { root } = makeRoot(t)
  await postprocess({ root, treefile: treefile("mutate-os-release: '41'\n"), installed: [] })
  t.equal(readFileSync(join(root, "usr/lib/os-release"), "utf8"), OS_RELEASE)
})

t.test("opt-usrlocal: var (default) links /opt and /usr/local into /var; root keeps them as directories", async (t) => {
  const v = makeRoot(t)
  await postprocess({ root: v.root, treefile: treefile(""), installed: [] })
  t.equal(readlinkSync(join(v.root, "opt")), "var/opt")
  t.equal(readlinkSync(join(v.root, "usr/local")), "../var/usrlocal")
  const r = makeRoot(t)
  writeFileSync(join(r.root, "usr/local/readme"), "local")
  await postprocess({ root: r.root, treefile: treefile("opt-usrlocal: root\n"), installed: [] })
  t.ok(lstatSync(join(r.root, "opt")).isDirectory(), "/opt is a directory")
  t.equal(readFileSync(join(r.root, "opt/app/tool"), "utf8"), "tool", "with the packages' content")
  t.ok(lstatSync(join(r.root, "usr/local")).isDirectory(), "/usr/local is a directory")
  t.equal(readFileSync(join(r.root, "usr/local/readme"), "utf8"), "local")
})

t.test("container: no kernel handling, /tmp a directory", async (t) => {
  const { root } = makeRoot(t)
  const out = await postprocess({ root, treefile: treefile("container: true\n"), installed: [] })
  t.equal(out.kver, undefined, "no kernel version: the commit is not bootable")
  t.equal(readFileSync(join(root, "boot/vmlinuz-6.1.0"), "utf8"), "kernel", "/boot as packaged")
  t.ok(lstatSync(join(root, "tmp")).isDirectory())
  const host = makeRoot(t)
  const hostOut = await postprocess({ root: host.root, treefile: treefile(""), installed: [] })
  t.equal(hostOut.kver, "6.1.0", "a host tree's kernel moves to /usr/lib/modules")
  t.ok(lstatSync(join(host.root, "tmp")).isSymbolicLink())
})
