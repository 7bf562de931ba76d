/**
 * A layered package's scriptlet must never write through a hardlink into the base: the layered
 * tree is a hardlink checkout of the sysroot repo's objects, which the booted deployment shares.
 * Scriptlets run on a rofiles-fuse view (an in-place write fails with EROFS, as in rpm-ostree);
 * without rofiles-fuse the base is checked out as copies. Either way the repo and the deployed
 * base stay as they were.
 */
import t from "tap"
import { execFileSync } from "node:child_process"
import { readFileSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { writePackage } from "../../src/formats/rpm/package-write.js"
import { STRING, STRING_ARRAY } from "../../src/formats/rpm/tags.js"
import { rofilesAvailable } from "../../src/io/rpm/bwrap-mounts.js"
import { sysrootTmp } from "../helpers/sysroot.js"
import { lst, makeLayerSysroot } from "./layer-fixture.js"

t.test("a scriptlet appending to a base file changes neither the repo nor the deployed base", async (t) => {
  const dir = sysrootTmp(t)
  const { S } = await makeLayerSysroot(t, dir)
  const deployDir = join(S, "ostree/deploy/testos/deploy")
  const [deployed] = readdirSync(deployDir).filter((n) => !n.endsWith(".origin"))
  const baseFile = join(deployDir, deployed!, "usr/lib/base-lib.txt")
  const before = readFileSync(baseFile, "utf8")
  const rpm = join(dir, "scribbler-1.0-1.noarch.rpm")
  writeFileSync(rpm, writePackage({
    name: "scribbler",
    files: [{ path: "/usr/share/scribbler/readme", mode: 0o100644, data: Buffer.from("s\n") }],
    extra: [
      { tag: 1024, type: STRING, value: "echo scribbled >> /usr/lib/base-lib.txt" }, // POSTIN
      { tag: 1086, type: STRING_ARRAY, value: ["/bin/sh"] }, // POSTINPROG
    ],
  }))
  const r = lst(S, ["install", rpm])
  if (rofilesAvailable()) {
    t.not(r.status, 0, "the in-place write fails on the rofiles view, and so does the install")
    t.match(r.stderr, /scribbler.*(Read-only file system|read-only)/i, "the error names the package and the read-only write")
  } else t.equal(r.status, 0, `without rofiles the base is a copy and the script may write it: ${r.stderr}`)
  t.equal(readFileSync(baseFile, "utf8"), before, "the deployed base file is unchanged")
  t.doesNotThrow(() => execFileSync("ostree", [`--repo=${S}/ostree/repo`, "fsck", "-q"], { stdio: "pipe" }), "ostree fsck: every object is intact")
})
