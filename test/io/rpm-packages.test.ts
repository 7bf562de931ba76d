// Interop with rpm 4.18 on packages built by rpmbuild: strata reads what `rpm -qp --qf` reads,
// lists what `rpm2cpio | cpio -t` lists, verifies like `rpm -K`, unpacks like `cpio -idm`, and
// writes an rpmdb that `rpm --dbpath` queries (and reads the one rpm writes).
import t from "tap"
import { existsSync, readFileSync, lstatSync, readdirSync, mkdirSync, writeFileSync, readlinkSync } from "node:fs"
import { join } from "node:path"
import { createHash } from "node:crypto"
import { sh, strata, tmp } from "../helpers/tmp.js"
import { rpmFixtures } from "./rpm-fixtures.js"
import { readPackageFront } from "../../src/io/rpm/read.js"
import { walkPayload } from "../../src/io/rpm/payload-walk.js"
import { packageInfo } from "../../src/formats/rpm/info.js"
import { files as headerFiles } from "../../src/formats/rpm/files.js"
import { deps, DEP_KINDS } from "../../src/formats/rpm/deps.js"
import { formatDep } from "../../src/formats/rpm/evr.js"
import { loadKeyring, verifyPackage, verdict } from "../../src/io/rpm/verify.js"
import { unpackPackage } from "../../src/io/rpm/unpack.js"
import { importPackage, checkoutCached } from "../../src/io/rpm/import-cache.js"
import { addToRpmdb, readRpmdb, findRpmdb } from "../../src/io/rpm/rpmdb.js"
import { nvraOf } from "../../src/formats/rpm/info.js"

const fx = rpmFixtures()
const qf = (rpm: string, fmt: string): string => sh("rpm", ["-qp", "--qf", fmt, rpm])

t.test("package metadata matches rpm -qp --qf", async (t) => {
  for (const rpm of fx.all) {
    const h = readPackageFront(rpm).header
    const i = packageInfo(h)
    const want = qf(rpm, "%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SUMMARY}|%{LICENSE}|%{SOURCERPM}|%{BUILDTIME}|%{PAYLOADCOMPRESSOR}|%{LONGSIZE}")
    t.equal([i.name, i.epoch ?? "(none)", i.version, i.release, i.arch, i.summary, i.license, i.sourceRpm, i.buildTime, i.payloadCompressor, i.installedSize].join("|"), want, i.name)
    t.equal(qf(rpm, "%{DESCRIPTION}"), i.description)
  }
})

t.test("file lists and file metadata match rpm's", async (t) => {
  for (const rpm of fx.all) {
    const want = qf(rpm, "[%{FILENAMES}|%{FILEMODES}|%{FILEUSERNAME}|%{FILEGROUPNAME}|%{FILESIZES}|%{FILEMTIMES}|%{FILEDIGESTS}|%{FILEFLAGS}|%{FILELINKTOS}|%{FILECAPS}|%{FILEINODES}\n]")
    const h = readPackageFront(rpm).header
    const capsTag = h.byTag.has(5010) // rpm prints "(none)" for a tag the header lacks
    const got = headerFiles(h).map((f) => [f.path, f.mode, f.user, f.group, f.size, f.mtime, f.digest, f.flags, f.linkto, capsTag ? f.caps : "(none)", f.inode].join("|") + "\n").join("")
    t.equal(got, want, rpm)
  }
})

t.test("dependencies of every kind (weak, rich, versioned, epochs) match rpm's", async (t) => {
  const tags: Record<string, string> = { provides: "PROVIDENEVRS", requires: "REQUIRENEVRS", conflicts: "CONFLICTNEVRS", obsoletes: "OBSOLETENEVRS", recommends: "RECOMMENDNEVRS", suggests: "SUGGESTNEVRS", supplements: "SUPPLEMENTNEVRS", enhances: "ENHANCENEVRS" }
  for (const rpm of fx.all) {
    const h = readPackageFront(rpm).header
    for (const kind of DEP_KINDS) t.equal(deps(h, kind).map((d) => formatDep(d) + "\n").join(""), qf(rpm, `[%{${tags[kind]}}\n]`), `${rpm} ${kind}`)
  }
  const basic = readPackageFront(fx.basic).header
  t.ok(deps(basic, "requires").some((d) => d.name.startsWith("(")), "rich dependencies are kept whole")
  t.ok(deps(basic, "supplements").length && deps(basic, "enhances").length && deps(basic, "recommends").length && deps(basic, "suggests").length)
})

t.test("payload entries match rpm2cpio | cpio -t for gzip, xz and zstd", async (t) => {
  for (const rpm of fx.all) {
    const want = sh("sh", ["-c", `rpm2cpio '${rpm}' | cpio -t --quiet`]).split("\n").filter(Boolean)
    const got: string[] = []
    const pkg = readPackageFront(rpm)
    const r = await walkPayload({ pkg, visitor: { entry: (_f, { cpio }) => got.push(cpio.name!) } })
    t.same(got, want, rpm)
    t.ok(r.digests.length >= 3 && r.digests.every((d) => d.ok), `${rpm}: payload digest, MD5 and size verify`)
  }
})

t.test("verify gives rpm -K's verdict, with and without the signing key", async (t) => {
  const dir = tmp(t)
  const keyring = await loadKeyring([fx.key])
  const otherRing = await loadKeyring([fx.otherKey])
  sh("rpm", ["--dbpath", dir, "--import", fx.key])
  for (const rpm of fx.all) {
    const rpmK = (db: string) => sh("sh", ["-c", `rpm --dbpath '${db}' -K '${rpm}' || true`]).trim().replace(/^.*: /, "")
    t.equal(verdict(await verifyPackage({ path: rpm, keyring })), rpmK(dir), `${rpm} with the key`)
    t.equal(verdict(await verifyPackage({ path: rpm, keyring: otherRing })), rpmK(join(dir, "empty")), `${rpm} without it`)
  }
  const signed = await verifyPackage({ path: fx.signed, keyring })
  t.equal(signed.signatures[0]?.status, "ok")
  t.match(signed.signatures[0]?.algorithm, /^RSA\/SHA/)
  t.equal((await verifyPackage({ path: fx.signed, keyring: otherRing })).signatures[0]?.status, "nokey")
})

/** A listing of a tree: type/mode, owner, size, mtime (files), link target, content hash. */
const listing = (root: string): string[] => {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const n of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n
      const st = lstatSync(join(root, r))
      const extra = st.isSymbolicLink() ? readlinkSync(join(root, r)) : st.isFile() ? createHash("sha256").update(readFileSync(join(root, r))).digest("hex") : ""
      out.push(`${r} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isDirectory() ? "-" : st.size} ${st.isDirectory() || st.isSymbolicLink() ? "-" : Math.floor(st.mtimeMs / 1000)} ${st.nlink > 1 && st.isFile() ? `links=${st.nlink}` : ""} ${extra}`)
      if (st.isDirectory()) walk(r)
    }
  }
  walk("")
  return out
}

t.test("unpack produces what rpm2cpio | cpio -idm produces, plus capabilities", async (t) => {
  const dir = tmp(t)
  for (const rpm of fx.all) {
    const ours = join(dir, "ours-" + packageInfo(readPackageFront(rpm).header).name)
    const theirs = join(dir, "theirs-" + packageInfo(readPackageFront(rpm).header).name)
    mkdirSync(theirs)
    sh("sh", ["-c", `rpm2cpio '${rpm}' | cpio -idm --quiet`], { cwd: theirs })
    const r = await unpackPackage({ path: rpm, dest: ours })
    // cpio takes owners from the archive (rpmbuild writes root); strata from names: root here too.
    // cpio cannot set a symlink's mtime (rpm and strata do), so symlink mtimes are not compared.
    const strip = (l: string[]) => l.map((x) => x.replace(/ \d+:\d+ /, " "))
    t.same(strip(listing(ours)), strip(listing(theirs)), rpm)
    t.ok(r.files > 0)
  }
  const basic = join(dir, "ours-strata-basic")
  t.match(sh("getcap", [join(basic, "usr/libexec/strata/ping")]), /cap_net_admin,cap_net_raw=ep/, "file caps as security.capability")
  const a = lstatSync(join(basic, "usr/share/strata/link-a"))
  t.equal(lstatSync(join(basic, "usr/share/strata/link-c")).ino, a.ino, "a hardlink set shares one inode")
  t.equal(a.nlink, 3)
  t.throws(() => lstatSync(join(basic, "var/lib/strata/state")), "%ghost files are not created")
  t.ok(lstatSync(join(basic, "var/lib/strata/empty")).isDirectory(), "empty directories are created")
  t.equal(lstatSync(join(basic, "usr/libexec/strata/secret")).mode & 0o7777, 0o640)
})

t.test("owners by name come from the target tree's passwd and group", async (t) => {
  const dir = tmp(t)
  mkdirSync(join(dir, "tree/etc"), { recursive: true })
  writeFileSync(join(dir, "tree/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
  writeFileSync(join(dir, "tree/etc/group"), "root:x:0:\nnobody:x:4242:\n")
  const r = await unpackPackage({ path: fx.basic, dest: join(dir, "out"), ownersFrom: join(dir, "tree") })
  t.same(r.warnings, [])
  t.equal(lstatSync(join(dir, "out/usr/libexec/strata/secret")).gid, 4242)
  const r2 = await unpackPackage({ path: fx.basic, dest: join(dir, "out2") })
  t.same(r2.warnings, ["group nobody does not exist - using root"], "like rpm, an unknown name falls back to root")
})

t.test("the import cache unpacks a package once; checkout assembles trees from it", async (t) => {
  const dir = tmp(t)
  const cacheDir = join(dir, "cache")
  const a = await importPackage({ path: fx.basic, cacheDir })
  const b = await importPackage({ path: fx.basic, cacheDir })
  t.notOk(a.cached)
  t.ok(b.cached)
  t.equal(a.dir, b.dir)
  await checkoutCached({ from: a.dir, into: join(dir, "tree") })
  await checkoutCached({ from: (await importPackage({ path: fx.lib, cacheDir })).dir, into: join(dir, "tree"), copy: true })
  t.equal(lstatSync(join(dir, "tree/usr/bin/strata-hello")).ino, lstatSync(join(a.dir, "usr/bin/strata-hello")).ino, "hardlinked from the cache")
  t.ok(lstatSync(join(dir, "tree/usr/lib64/libstrata.so.1")).isSymbolicLink())
})

t.test("rpmdb: rpm queries a strata tree; strata reads rpm's database", async (t) => {
  const dir = tmp(t)
  const tree = join(dir, "tree")
  const r = strata(["pkg", "install", ...fx.all, "--root", tree, "--cache", join(dir, "cache")])
  t.equal(r.status, 0, r.stderr)
  const dbpath = join(tree, "usr/share/rpm")
  const qa = sh("rpm", ["--dbpath", dbpath, "-qa"]).split("\n").filter(Boolean).sort()
  t.same(qa, fx.all.map((p) => nvraOf(readPackageFront(p).header)).sort(), "rpm -qa lists exactly what was installed")
  for (const p of fx.all) {
    const name = packageInfo(readPackageFront(p).header).name
    t.equal(sh("rpm", ["--dbpath", dbpath, "-ql", name]), sh("rpm", ["-qlp", p]), `rpm -ql ${name}`)
  }
  t.equal(sh("rpm", ["--dbpath", dbpath, "-qf", "/usr/bin/strata-tool"]).trim(), nvraOf(readPackageFront(fx.tools).header), "rpm -qf uses our Basenames index")
  t.match(sh("rpm", ["--dbpath", dbpath, "-q", "--whatrequires", "strata-lib"]), /strata-basic/, "rich-dependency index entries")
  sh("rpm", ["--dbpath", dbpath, "--verifydb"])
  t.equal(strata(["pkg", "db", "list", "--root", tree]).stdout.trim().split("\n").length, 4)
  const installedInfo = JSON.parse(strata(["pkg", "info", "strata-lib", "--root", tree, "--json"]).stdout)
  t.equal(installedInfo.nevra, "strata-lib-1:1.0~rc1-1.x86_64", "pkg info NAME reads the tree's rpmdb")
  t.equal(strata(["pkg", "info", "nope", "--root", tree]).status, 3)

  // rpm's own database (WAL mode), written by rpm -i into another root
  const root2 = join(dir, "root2")
  mkdirSync(root2)
  sh("rpm", ["--root", root2, "--dbpath", "/usr/share/rpm", "--initdb"])
  sh("sh", ["-c", `rpm --root '${root2}' --dbpath /usr/share/rpm -i --nodeps --noscripts --justdb '${fx.basic}' '${fx.lib}' 2>/dev/null`])
  const theirs = readRpmdb(findRpmdb(root2)!)
  t.same(theirs.map((p) => nvraOf(p.header)).sort(), [fx.basic, fx.lib].map((p) => nvraOf(readPackageFront(p).header)).sort())
  const diff = strata(["pkg", "db", "diff", root2, tree, "--json"])
  t.same(JSON.parse(diff.stdout), { upgraded: [], downgraded: [], removed: [], added: ["strata-signed-1.0-1.noarch", "strata-tools-2.0^git20240101-0.1.noarch"] })

  // adding to rpm's database keeps its packages and rpm still reads it
  addToRpmdb({ path: findRpmdb(root2)!, packages: [readPackageFront(fx.tools)] })
  t.equal(sh("rpm", ["--root", root2, "--dbpath", "/usr/share/rpm", "-qa"]).trim().split("\n").length, 3)
})

t.test("CLI: info, contents, verify, unpack", async (t) => {
  const dir = tmp(t)
  const info = JSON.parse(strata(["pkg", "info", fx.basic, "--json"]).stdout)
  t.equal(info.nevra, "strata-basic-2:1.2.3-4.fc40.noarch")
  t.ok(info.requires.includes("(strata-lib >= 1:1.0~rc1 or strata-compat)"))
  t.equal(strata(["pkg", "contents", fx.basic]).stdout, sh("rpm", ["-qlp", fx.basic]))
  const v = strata(["pkg", "verify", fx.signed, "--key", fx.key])
  t.equal(v.stdout, `${fx.signed}: digests signatures OK\n`)
  t.equal(strata(["pkg", "verify", fx.signed]).status, 1, "NOKEY fails like rpm -K")
  const u = strata(["pkg", "unpack", fx.tools, join(dir, "u")])
  t.equal(u.status, 0, u.stderr)
  t.ok(lstatSync(join(dir, "u/usr/bin/strata-tool")).isFile())
  t.equal(strata(["pkg", "unpack", fx.tools, join(dir, "u")]).status, 4, "a non-empty destination is refused")
})

t.test("the in-process decoders (lzma-native, fzstd) and the system binaries give the same payload", async (t) => {
  const { decompressor } = await import("../../src/formats/rpm/payload.js")
  const { payloadDecompressor } = await import("../../src/io/rpm/decompress.js")
  const { createReadStream } = await import("node:fs")
  const { pipeline } = await import("node:stream/promises")
  const digestThrough = async (rpm: string, d: import("node:stream").Duplex) => {
    const pkg = readPackageFront(rpm)
    const h = createHash("sha256")
    await pipeline(createReadStream(rpm, { start: pkg.payloadOffset }), d, async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) h.update(c)
    })
    return h.digest("hex")
  }
  for (const [rpm, comp] of [[fx.lib, "xz"], [fx.tools, "zstd"], [fx.basic, "gzip"]] as const) {
    const builtin = await digestThrough(rpm, decompressor(comp))
    t.equal(builtin, await digestThrough(rpm, payloadDecompressor(comp)), comp)
    t.equal(builtin, readPackageFront(rpm).header.byTag.has(5097) ? (await import("../../src/formats/rpm/header.js")).strings(readPackageFront(rpm).header, 5097)[0] : builtin, `${comp}: the uncompressed payload digest`)
  }
})

t.test("bzip2 payloads: read through the system's bzip2, verified and unpacked like the others", async (t) => {
  const rpm = fx.bzip2
  t.equal(qf(rpm, "%{PAYLOADCOMPRESSOR}"), "bzip2")
  const want = sh("sh", ["-c", `rpm2cpio '${rpm}' | cpio -t --quiet`]).split("\n").filter(Boolean)
  const got: string[] = []
  const r = await walkPayload({ pkg: readPackageFront(rpm), visitor: { entry: (_f, { cpio }) => got.push(cpio.name!) } })
  t.same(got, want, "entries match rpm2cpio | cpio -t")
  t.ok(r.digests.every((d) => d.ok), "payload digest, MD5 and size verify")
  const dir = tmp(t)
  await unpackPackage({ path: rpm, dest: join(dir, "root") })
  t.equal(readFileSync(join(dir, "root/usr/share/strata-bzip2/sub/numbers"), "utf8"), Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join(""))
  t.equal(readlinkSync(join(dir, "root/usr/share/strata-bzip2/sub/link")), "../data")
  // Without the program (forced here): one clear error, nothing unpacked.
  const r2 = strata(["pkg", "unpack", rpm, join(dir, "none")], { env: { STRATA_DECOMPRESS: "builtin" } })
  t.not(r2.status, 0)
  t.match(r2.stderr, /bzip2 payloads need the bzip2 program \(apt-get install bzip2\)/)
  t.equal(r2.stderr.trim().split("\n").length, 1, "one line")
  t.notOk(existsSync(join(dir, "none")), "nothing unpacked")
})
