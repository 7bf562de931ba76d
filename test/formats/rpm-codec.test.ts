import t from "tap"
import { buildHeader, appendToRegion } from "../../src/formats/rpm/header-write.js"
import { parseHeader, strings, numbers, string, binary, regionImage, value } from "../../src/formats/rpm/header.js"
import { BIN, CHAR, HEADERI18NTABLE, HEADERSIGNATURES, I18NSTRING, INT16, INT32, INT64, INT8, STRING, STRING_ARRAY, T } from "../../src/formats/rpm/tags.js"
import { CpioParser, newcArchive, strippedArchive, type CpioEvent } from "../../src/formats/rpm/cpio.js"
import { capsXattr, parseCaps } from "../../src/formats/rpm/caps.js"
import { richIndexNames } from "../../src/formats/rpm/rich.js"
import { parseRepoFile, parseDuration, globMatch } from "../../src/formats/rpm/repo-conf.js"
import { parseRepomd, primaryParser } from "../../src/formats/rpm/repomd.js"
import { safeRelative } from "../../src/formats/rpm/paths.js"
import { parseLead, serializeLead } from "../../src/formats/rpm/lead.js"
import { RpmFormatError } from "../../src/formats/rpm/error.js"

const thrown = (f: () => unknown): RpmFormatError | undefined => {
  try {
    f()
  } catch (e) {
    return e as RpmFormatError
  }
  return undefined
}

t.test("every tag type round-trips through a header with an immutable region", async (t) => {
  const bytes = buildHeader({
    entries: [
      { tag: T.NAME, type: STRING, value: "x" },
      { tag: HEADERI18NTABLE, type: STRING_ARRAY, value: ["C", "de"] },
      { tag: T.SUMMARY, type: I18NSTRING, value: ["hello", "hallo"] },
      { tag: T.FILESTATES, type: CHAR, value: [0, 1, 2] },
      { tag: 5999, type: INT8, value: [7] },
      { tag: T.FILEMODES, type: INT16, value: [0o100644, 0o40755] },
      { tag: T.FILESIZES, type: INT32, value: [1, 4294967295] },
      { tag: T.LONGFILESIZES, type: INT64, value: [5n * 1024n ** 3n] },
      { tag: T.SIGMD5, type: BIN, value: Uint8Array.of(1, 2, 3) },
      { tag: T.BASENAMES, type: STRING_ARRAY, value: ["a", "b"] },
    ],
  })
  const { header: h, end } = parseHeader(bytes)
  t.equal(end, bytes.length)
  t.same(h.region, { tag: 63, ril: 11, rdl: h.data.length })
  t.equal(string(h, T.NAME), "x")
  t.equal(string(h, T.SUMMARY), "hello", "the C locale by default")
  t.equal(string(h, T.SUMMARY, "de"), "hallo", "i18n strings by locale")
  t.same(numbers(h, T.FILESTATES), [0, 1, 2])
  t.same(numbers(h, 5999), [7])
  t.same(numbers(h, T.FILEMODES), [0o100644, 0o40755])
  t.same(numbers(h, T.FILESIZES), [1, 4294967295])
  t.same(numbers(h, T.LONGFILESIZES), [5 * 1024 ** 3])
  t.same([...binary(h, T.SIGMD5)!], [1, 2, 3])
  t.same(strings(h, T.BASENAMES), ["a", "b"])
  t.same(value(h, T.NAME), "x")
  t.ok(regionImage(h).equals(bytes), "a package header's region image is the header itself")

  const blob = appendToRegion({ header: h, extra: [{ tag: T.INSTALLTIME, type: INT32, value: [42] }, { tag: T.NAME, type: STRING, value: "y" }] })
  const { header: db } = parseHeader(blob, { magic: false, exact: false })
  t.same(numbers(db, T.INSTALLTIME), [42], "tags appended after the region")
  t.equal(string(db, T.NAME), "y", "a dribble replaces the region's value")
  t.ok(regionImage(db).equals(bytes), "the region image survives the append, so its digest still verifies")
  t.ok(thrown(() => parseHeader(blob, { magic: false }))?.message.includes("must be all region"), "a package header must be all region")
})

t.test("hostile headers are refused with a reason", async (t) => {
  const good = buildHeader({ entries: [{ tag: T.NAME, type: STRING, value: "x" }, { tag: T.FILESIZES, type: INT32, value: [1] }] })
  t.match(thrown(() => parseHeader(good.subarray(0, 20)))?.message, /truncated/)
  const magic = Buffer.from(good)
  magic[0] = 0
  t.match(thrown(() => parseHeader(magic))?.message, /bad magic/)
  const huge = Buffer.from(good)
  huge.writeUInt32BE(0x10000, 8)
  t.match(thrown(() => parseHeader(huge))?.message, /out of range/)
  const misaligned = Buffer.from(good)
  misaligned.writeInt32BE(misaligned.readInt32BE(16 + 32 + 8) + 1, 16 + 32 + 8) // FILESIZES offset
  t.match(thrown(() => parseHeader(misaligned))?.message, /misaligned|overlaps/)
  const wrongType = buildHeader({ entries: [{ tag: T.NAME, type: INT32, value: [1] }] })
  t.match(thrown(() => parseHeader(wrongType))?.message, /wrong type/)
  const noNul = buildHeader({ entries: [{ tag: T.NAME, type: STRING, value: "abc" }] })
  noNul[noNul.length - 16 - 1] = 0x41 // overwrite the NUL
  t.ok(thrown(() => parseHeader(noNul)), "an unterminated string")
  const sig = buildHeader({ regionTag: HEADERSIGNATURES, entries: [{ tag: 1000, type: INT32, value: [1] }] })
  t.equal(parseHeader(sig, { regionTag: HEADERSIGNATURES }).header.region?.tag, HEADERSIGNATURES)
  t.match(thrown(() => parseHeader(good, { regionTag: HEADERSIGNATURES }))?.message, /no signature region/)
})

t.test("lead", async (t) => {
  const l = serializeLead({ name: "foo-1.0-1" })
  t.equal(parseLead(l).name, "foo-1.0-1")
  t.match(thrown(() => parseLead(Buffer.alloc(96)))?.message, /not an RPM/)
  t.match(thrown(() => parseLead(l.subarray(0, 50)))?.message, /truncated/)
})

const run = (archive: Buffer, chunk: number, sizeOf?: (fx: number) => number): Array<{ name?: string; fx?: number; data: string }> => {
  const p = new CpioParser({ sizeOf })
  const out: Array<{ name?: string; fx?: number; data: string }> = []
  const handle = (evs: CpioEvent[]) => {
    for (const e of evs) {
      if (e.type === "entry") out.push({ name: e.entry.name, fx: e.entry.fx, data: "" })
      else if (e.type === "data") out[out.length - 1]!.data += e.bytes.toString()
    }
  }
  for (let i = 0; i < archive.length; i += chunk) handle(p.push(archive.subarray(i, i + chunk)))
  p.finish()
  return out
}

t.test("cpio: newc and stripped archives parse the same at any chunk size", async (t) => {
  const newc = newcArchive([
    { name: "./a", mode: 0o100644, data: Buffer.from("hello") },
    { name: "./dir", mode: 0o40755 },
    { name: "./b", mode: 0o100644, data: Buffer.from("xyz!") },
    { name: "./empty", mode: 0o100644 },
  ])
  const want = [{ name: "./a", fx: undefined, data: "hello" }, { name: "./dir", fx: undefined, data: "" }, { name: "./b", fx: undefined, data: "xyz!" }, { name: "./empty", fx: undefined, data: "" }]
  for (const n of [1, 2, 3, 7, 64, 4096]) t.same(run(newc, n), want, `newc, ${n}-byte chunks`)
  const contents = ["first", "", "3rd file"]
  const stripped = strippedArchive(contents.map((c, fx) => ({ fx, data: Buffer.from(c) })))
  for (const n of [1, 5, 4096]) t.same(run(stripped, n, (fx) => contents[fx]!.length), contents.map((c, fx) => ({ name: undefined, fx, data: c })), `stripped, ${n}-byte chunks`)
  t.match(thrown(() => run(newc.subarray(0, newc.length - 30), 100))?.message, /truncated/)
  t.match(thrown(() => run(Buffer.concat([newc, Buffer.from("junk")]), 100))?.message, /after the trailer/)
  t.match(thrown(() => run(Buffer.from("070703" + "0".repeat(200)), 100))?.message, /bad magic/)
})

t.test("file capabilities text → security.capability", async (t) => {
  t.same(parseCaps("cap_net_admin,cap_net_raw=ep"), { effective: (1n << 12n) | (1n << 13n), permitted: (1n << 12n) | (1n << 13n), inheritable: 0n })
  // getcap/setcap's encoding of cap_net_raw=ep: revision 2 | effective, permitted bit 13
  t.equal(capsXattr("cap_net_raw=ep").toString("hex"), "0100000200200000000000000000000000000000")
  t.equal(capsXattr("cap_bpf+p").toString("hex"), "0000000200000000000000008000000000000000", "a capability above 31 (as setcap writes it)")
  t.throws(() => parseCaps("cap_nope=ep"))
})

t.test("rich dependency index names, as rpm's rpmdb indexes them", async (t) => {
  t.same(richIndexNames("(strata-lib >= 1:1.0~rc1 or strata-compat)"), ["strata-compat", "strata-lib"])
  t.same(richIndexNames("(strata-tools if strata-lib)"), ["strata-tools", "!strata-lib"])
  t.same(richIndexNames("(a and (b or rpmlib(X)))"), ["a", "b"])
  // rpm 4.18's Requirename keys for these two (rpm -i --justdb, read back with sqlite3)
  t.same(richIndexNames("((a if b else c) and d)").sort(), ["!b", "a", "b", "c", "d"])
  t.same(richIndexNames("(e or (f unless g) or h)").sort(), ["!g", "e", "f", "h"])
  t.throws(() => richIndexNames("(a or"))
})

t.test("hostile file names", async (t) => {
  t.equal(safeRelative("/usr/bin/x"), "usr/bin/x")
  t.equal(safeRelative("/"), "")
  for (const bad of ["usr/bin", "/usr/../etc/passwd", "/./x", "//x", "/x/", "/a\0b", "/.."]) t.ok(thrown(() => safeRelative(bad)), JSON.stringify(bad))
})

t.test(".repo files", async (t) => {
  const repos = parseRepoFile({
    file: "f.repo",
    vars: { basearch: "x86_64", releasever: "40" },
    text: [
      "[main]", "gpgcheck=1", "", "# a comment", "[fedora]", "name=Fedora $releasever - $basearch",
      "baseurl=http://a.example/$releasever/$basearch/", "  http://b.example/${releasever}/", "gpgcheck = 1",
      "gpgkey=file:///etc/pki/k1 file:///etc/pki/k2", "metadata_expire=6h", "excludepkgs=kernel* foo",
      "[updates]", "enabled=0", "metalink=https://m.example/?repo=updates-$releasever&arch=$basearch", "metadata_expire=never", "",
    ].join("\n"),
  })
  t.equal(repos.length, 2, "[main] is not a repository")
  const [f, u] = repos
  t.equal(f!.name, "Fedora 40 - x86_64")
  t.same(f!.baseurl, ["http://a.example/40/x86_64/", "http://b.example/40/"], "continuation lines and ${var}")
  t.ok(f!.gpgcheck)
  t.same(f!.gpgkey, ["file:///etc/pki/k1", "file:///etc/pki/k2"])
  t.equal(f!.metadataExpire, 6 * 3600)
  t.same(f!.excludepkgs, ["kernel*", "foo"])
  t.notOk(u!.enabled)
  t.equal(u!.metalink, "https://m.example/?repo=updates-40&arch=x86_64")
  t.equal(u!.metadataExpire, Infinity)
  t.equal(parseDuration("2d"), 172800)
  t.ok(globMatch("kernel*", "kernel-core"))
  t.notOk(globMatch("kernel*", "akernel"))
  t.throws(() => parseRepoFile({ text: "[x]\nname=no url\n" }), /no baseurl/)
  t.throws(() => parseRepoFile({ text: "baseurl=x\n" }))
})

t.test("repomd and primary XML", async (t) => {
  const md = parseRepomd(
    `<?xml version="1.0"?><repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>7</revision><data type="primary"><checksum type="sha256">ab</checksum><open-checksum type="sha256">cd</open-checksum><location href="repodata/p.xml.gz"/><size>10</size><open-size>20</open-size></data></repomd>`,
  )
  t.equal(md.revision, "7")
  t.same(md.data.get("primary"), { type: "primary", location: "repodata/p.xml.gz", checksum: { type: "sha256", value: "ab" }, openChecksum: { type: "sha256", value: "cd" }, size: 10, openSize: 20, timestamp: undefined })
  t.match(thrown(() => parseRepomd("<repomd><data type='x'>"))?.message, /malformed XML/)
  t.match(thrown(() => parseRepomd("<html/>"))?.message, /not <repomd>/)
  const got: string[] = []
  const p = primaryParser((x) => got.push(`${x.name}-${x.version}:${x.provides.map((d) => d.name).join(",")}`))
  const xml = `<metadata packages="1"><package type="rpm"><name>a</name><arch>noarch</arch><version epoch="0" ver="1" rel="2"/><checksum type="sha256" pkgid="YES">ff</checksum><location href="a.rpm"/><format><rpm:provides><rpm:entry name="a" flags="EQ" epoch="0" ver="1" rel="2"/></rpm:provides></format></package></metadata>`
  for (let i = 0; i < xml.length; i += 13) p.write(xml.slice(i, i + 13))
  p.end()
  t.same(got, ["a-1:a"])
  const bad = primaryParser(() => undefined)
  t.match(thrown(() => {
    bad.write("<metadata><package><name>a</nam></package>")
    bad.end()
  })?.message, /malformed XML/)
})
