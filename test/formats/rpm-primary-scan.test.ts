// primary-scan.ts against the saxes parser it replaced (primary-saxes.ts): the same packages on
// createrepo_c's output and on a generated repository full of XML corner cases, whatever the
// chunking; CDATA read as text; malformed documents refused with one "malformed XML" error.
import t from "tap"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { primaryScanner } from "../../src/formats/rpm/primary-scan.js"
import type { MdPackage } from "../../src/formats/rpm/repomd.js"
import { parsePrimarySaxes } from "./primary-saxes.js"
import { rpmFixtures } from "../io/rpm-fixtures.js"

const scan = (xml: string, chunk = xml.length || 1): MdPackage[] => {
  const out: MdPackage[] = []
  const s = primaryScanner((p) => out.push(p))
  for (let i = 0; i < xml.length; i += chunk) s.write(xml.slice(i, i + chunk))
  s.end()
  return out
}
// the scanner gives every package the same fields; absent ones are undefined rather than missing
const plain = (ps: MdPackage[]) => JSON.parse(JSON.stringify(ps)) as unknown

const pkg = (i: number): string => {
  const nl = i % 5 === 0 ? "\r\n" : "\n"
  const dep = (k: number) =>
    k % 4 === 0 ? `<rpm:entry name="lib${k}.so()(64bit)"/>`
      : k % 4 === 1 ? `<rpm:entry name='p${k} &amp; q' flags="GE" epoch="0" ver="${k}.0" rel="1.fc40" pre="1"/>`
        : k % 4 === 2 ? `<rpm:entry   name = "(a${k} if b)"  flags="EQ" ver="1~rc&#x31;" pre="0" />`
          : `<rpm:entry name="x\ty${nl}z" flags="LT" epoch="1" ver="2" rel="3"/>`
  const lines = [
    `<package type="rpm">`,
    `  <name>p${i}${i % 3 ? "" : "-caf\u00e9&amp;co"}</name>`,
    i % 7 ? `  <arch>x86_64</arch>` : `  <arch>noarch</arch><!-- a comment <with> markup -->`,
    i % 11 ? `  <version epoch="${i % 3}" ver="1.${i}" rel="${i % 2}.fc40"/>` : `  <version ver='9' rel="1"/>`,
    `  <checksum type="sha256" pkgid="YES">${(i * 2654435761).toString(16).padStart(64, "0")}</checksum>`,
    `  <summary>${i % 4 === 0 ? "" : i % 4 === 1 ? "a &lt;b&gt; &quot;c&quot; &apos;d&apos; &#233;&#x1F600; \u65e5\u672c" : `line one${nl}line two`}</summary>`,
    `  <description>x > y, ]] and more text</description>`,
    `  <packager/>`,
    i % 13 ? `  <time file="1" build="${1700000000 + i}"/>` : "",
    i % 17 ? `  <size package="${1000 + i}" installed="${5000 + i}" archive="1"/>` : `  <size package="" />`,
    i % 19 ? `  <location href="Packages/p/p${i}.rpm"/>` : "",
    `  <format>`,
    `    <rpm:license>MIT${i % 2 ? " AND (GPL-2.0 &amp; x)" : ""}</rpm:license>`,
    i % 9 ? `    <rpm:sourcerpm>p${i}.src.rpm</rpm:sourcerpm>` : `    <rpm:sourcerpm/>`,
    `    <rpm:header-range start="4504" end="${9000 + i}"/>`,
    `    <rpm:provides>${Array.from({ length: 1 + (i % 5) }, (_, k) => dep(k)).join(nl + "      ")}</rpm:provides>`,
    `    <rpm:requires>${Array.from({ length: i % 6 }, (_, k) => dep(k + 1)).join("")}</rpm:requires>`,
    ["conflicts", "obsoletes", "recommends", "suggests", "supplements", "enhances"].map((k, n) => (i + n) % 4 ? "" : `<rpm:${k}>${dep(n)}</rpm:${k}>`).join(""),
    i % 8 ? "" : "    <rpm:provides/>",
    `    <file>/usr/bin/p${i}</file>${i % 3 ? `<file type="dir">/etc/p${i}.d</file>` : ""}<file>/usr/share/a b&amp;c\u00fc</file>`,
    `  </format>`,
    `</package>`,
  ]
  return lines.filter(Boolean).join(nl) + nl
}
const generated = (n: number) => `\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- generated -->\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${n}">\n${Array.from({ length: n }, (_, i) => pkg(i)).join("")}</metadata>\n<!-- trailing -->\n`

t.test("the same packages as the saxes parser: createrepo_c's primary.xml", async (t) => {
  const fx = rpmFixtures()
  const repodata = join(fx.repo("gz"), "repodata")
  const xml = gunzipSync(readFileSync(join(repodata, readdirSync(repodata).find((f) => f.endsWith("primary.xml.gz"))!))).toString("utf8")
  const want = plain(parsePrimarySaxes(xml))
  t.equal((want as unknown[]).length, 4)
  for (const chunk of [1, 17, 1000, xml.length]) t.same(plain(scan(xml, chunk)), want, `chunks of ${chunk}`)
})

t.test("the same packages as the saxes parser: a generated repository with XML corner cases", async (t) => {
  const xml = generated(400)
  const want = parsePrimarySaxes(xml)
  t.equal(want.length, 400)
  for (const chunk of [1, 2, 3, 7, 64, 4093, xml.length]) t.strictSame(plain(scan(xml, chunk)), plain(want), `chunks of ${chunk}`)
  const got = scan(xml)
  t.equal(got[3]!.summary, "line one\nline two", "CRLF → LF in text")
  t.equal(got[1]!.summary, "a <b> \"c\" 'd' \u00e9\u{1F600} \u65e5\u672c", "entities and character references")
  t.equal(got[3]!.provides[3]?.name, "x y z", "tab and line end → space in attribute values")
  t.equal(got[0]!.name, "p0-caf\u00e9&co")
  t.equal(got[19]!.location, undefined, "no <location>")
  t.equal(got[17]!.sizePackage, 0, "empty size attribute → 0, as Number('')")
})

t.test("CDATA is text", async (t) => {
  const [p] = scan(`<metadata><package><name><![CDATA[a<b&c]]>d</name><checksum>x</checksum><summary>s<![CDATA[ & t]]></summary></package></metadata>`, 5)
  t.equal(p!.name, "a<b&cd")
  t.equal(p!.summary, "s & t")
})

t.test("malformed XML: one clear error, whole or in chunks", async (t) => {
  const ok = `<metadata><package><name>a</name><checksum>x</checksum></package></metadata>`
  t.equal(scan(ok).length, 1)
  const bad: Array<[string, string]> = [
    ["mismatched close tag", `<metadata><package><name>a</nam></package></metadata>`],
    ["truncated", `<metadata><package><name>a</name><arch>x</arch`],
    ["unclosed element", `<metadata><package><name>a</name><checksum>x</checksum></package>`],
    ["unquoted attribute", `<metadata><package><version ver=1/></package></metadata>`],
    ["undefined entity", `<metadata><package><name>a&nbsp;</name></package></metadata>`],
    ["bare ampersand in ignored text", `<metadata><package><description>a & b</description></package></metadata>`],
    ["'<' in an attribute value", `<metadata><package><location href="a<b"/></package></metadata>`],
    ["text after the root", `${ok}junk`],
    ["second root", `${ok}<metadata/>`],
    ["close without open", `</metadata>`],
    ["attributes without space", `<metadata><package><version ver="1"rel="2"/></package></metadata>`],
    ["unterminated comment", `<metadata><!-- x </metadata>`],
    ["empty", ``],
  ]
  for (const [what, xml] of bad) {
    t.throws(() => parsePrimarySaxes(xml.length ? xml : "x"), `saxes also refuses: ${what}`)
    for (const chunk of [1, 4, xml.length || 1]) t.throws(() => scan(xml, chunk), /^rpm primary\.xml: (malformed XML|root element is <nothing>)/, `${what} (chunks of ${chunk})`)
  }
  t.throws(() => scan(`<html><package><name>a</name><checksum>x</checksum></package></html>`), /root element is <html>, not <metadata>/)
  t.throws(() => scan(`<metadata><package><arch>a</arch></package></metadata>`), /a <package> without name or checksum/)
})
