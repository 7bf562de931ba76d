// package-table.ts: the column-wise loaded form of primary.xml gives back exactly the records the
// per-package scanner gives, survives its cache serialisation, and answers provides/file queries.
import t from "tap"
import { primaryScanner, primaryTableScanner } from "../../src/formats/rpm/primary-scan.js"
import { PackageTable } from "../../src/formats/rpm/package-table.js"
import type { MdPackage } from "../../src/formats/rpm/repomd.js"

const entry = (k: number) =>
  k % 3 === 0 ? `<rpm:entry name="lib${k}.so()(64bit)"/>`
    : k % 3 === 1 ? `<rpm:entry name="p${k} &amp; q" flags="GE" epoch="0" ver="${k}.0" rel="1" pre="1"/>`
      : `<rpm:entry name="cap${k}" flags="EQ" ver="1~rc&#x31;"/>`
const pkg = (i: number) =>
  `<package type="rpm"><name>p${i}${i % 4 ? "" : "-caf\u00e9"}</name><arch>${i % 3 ? "x86_64" : "noarch"}</arch>` +
  (i % 5 ? `<version epoch="${i % 2}" ver="1.${i}" rel="1"/>` : "") +
  `<checksum type="sha256" pkgid="YES">${i.toString(16).padStart(64, "0")}</checksum><summary>${i % 2 ? "s &lt;x&gt;" : ""}</summary>` +
  (i % 7 ? `<time build="${1700000000 + i}"/><size package="${i}" installed="${2 * i}"/><location href="P/p${i}.rpm"/>` : "") +
  `<format>${i % 6 ? "<rpm:license>MIT</rpm:license>" : ""}<rpm:provides>${Array.from({ length: 1 + (i % 4) }, (_, k) => entry(k + i)).join("")}</rpm:provides>` +
  (i % 2 ? `<rpm:requires>${entry(i)}${entry(i + 1)}</rpm:requires>` : "") + (i % 5 === 0 ? `<rpm:obsoletes>${entry(2)}</rpm:obsoletes>` : "") +
  `${i % 3 ? `<file>/usr/bin/p${i}</file>` : ""}<file>/etc/shared.conf</file></format></package>\n`
const xml = `<?xml version="1.0"?>\n<metadata packages="40">\n${Array.from({ length: 40 }, (_, i) => pkg(i)).join("")}</metadata>\n`

const objects = (): MdPackage[] => {
  const out: MdPackage[] = []
  const s = primaryScanner((p) => out.push(p))
  s.write(xml)
  s.end()
  return out
}
const table = (chunk: number): PackageTable => {
  const s = primaryTableScanner()
  for (let i = 0; i < xml.length; i += chunk) s.sink.write(xml.slice(i, i + chunk))
  s.sink.end()
  return s.table()
}
const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown

t.test("the table holds the same packages as the records, whatever the chunking", async (t) => {
  const want = objects()
  t.equal(want.length, 40)
  for (const chunk of [xml.length, 97, 5]) t.same(plain(table(chunk).toPackages()), plain(want), `chunks of ${chunk}`)
  const p5 = table(xml.length).packageAt(5)
  t.equal(p5.version, undefined, "no <version>: undefined, as the records have it")
  t.equal(p5.sizePackage, 5)
  t.equal(table(xml.length).packageAt(7).buildTime, undefined, "no <time>: undefined")
  t.same(table(xml.length).packageAt(1).requires[0], { name: "p1 & q", flags: "GE", epoch: "0", ver: "1.0", rel: "1", pre: true })
})

t.test("serialised and read back: the same table; a damaged file is refused", async (t) => {
  const a = table(xml.length)
  const bytes = Buffer.concat(a.serialize())
  const b = PackageTable.deserialize(bytes)
  t.same(plain(b.toPackages()), plain(a.toPackages()))
  // a Buffer at an odd offset (from a pool) still reads
  const odd = Buffer.concat([Buffer.alloc(3), bytes]).subarray(3)
  t.same(plain(PackageTable.deserialize(odd).toPackages()), plain(a.toPackages()))
  t.throws(() => PackageTable.deserialize(bytes.subarray(0, bytes.length - 10)))
  t.same(PackageTable.deserialize(Buffer.concat(PackageTable.fromPackages([]).serialize())).toPackages(), [])
})

t.test("fromPackages keeps any flag text and the records", async (t) => {
  const recs = objects()
  const odd = { ...recs[0]!, provides: [{ name: "x", flags: "XX", ver: "1" }] }
  const tb = PackageTable.fromPackages([...recs, odd])
  t.same(plain(tb.toPackages()), plain([...recs, odd]))
  t.same(PackageTable.deserialize(Buffer.concat(tb.serialize())).packageAt(40).provides, [{ name: "x", flags: "XX", ver: "1" }])
})

t.test("queries read the columns: who provides a name, who lists a file; file lists replaced", async (t) => {
  const tb = table(xml.length)
  const recs = objects()
  const by = (pred: (p: MdPackage) => boolean) => recs.flatMap((p, i) => (pred(p) ? [i] : []))
  t.same(tb.withDependency("provides", "p4 & q"), by((p) => p.provides.some((d) => d.name === "p4 & q")))
  t.ok(tb.withDependency("provides", "p4 & q").length > 1)
  t.same(tb.withDependency("obsoletes", "cap2"), by((p) => p.obsoletes.some((d) => d.name === "cap2")))
  t.same(tb.withDependency("provides", "nothing"), [])
  t.same(tb.withFile("/etc/shared.conf").length, 40)
  t.same(tb.withFile("/usr/bin/p4"), [4])
  const f = tb.withFiles((i) => (i === 4 ? ["/a", "/usr/bin/p4"] : undefined))
  t.same(f.packageAt(4).files, ["/a", "/usr/bin/p4"])
  t.same(f.packageAt(5).files, recs[5]!.files)
  t.same(f.withFile("/a"), [4])
})
