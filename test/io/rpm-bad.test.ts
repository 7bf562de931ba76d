// Bad input: each gets one clear error (and exit code through the CLI), and nothing is left
// behind — no partial directory, no partial cache, no replaced rpmdb.
import t from "tap"
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { strata, tmp } from "../helpers/tmp.js"
import { rpmFixtures } from "./rpm-fixtures.js"
import { rejectsRpmError } from "../helpers/rpm-error.js"
import { writePackage } from "../../src/formats/rpm/package-write.js"
import { newcArchive } from "../../src/formats/rpm/cpio.js"
import { unpackPackage } from "../../src/io/rpm/unpack.js"
import { verifyPackage, loadKeyring, assertVerified } from "../../src/io/rpm/verify.js"
import { readPackageFront } from "../../src/io/rpm/read.js"
import { loadRepo } from "../../src/io/rpm/repo-metadata.js"
import { parseRepoFile } from "../../src/formats/rpm/repo-conf.js"

const fx = rpmFixtures()

type Asserts = Pick<typeof t, "fail" | "equal" | "match" | "same">


/** The directory holds nothing but `expected` (no staging or temp leftovers). */
const onlyHas = (t: Asserts, dir: string, expected: string[], msg: string) => t.same(readdirSync(dir).sort(), expected.sort(), msg)

t.test("a truncated RPM", async (t) => {
  const dir = tmp(t)
  const bytes = readFileSync(fx.lib)
  for (const [cut, why] of [[50, /lead: truncated/], [200, /signature header: truncated/], [bytes.length - 1000, /payload|truncated|digest/]] as const) {
    const p = join(dir, `cut-${cut}.rpm`)
    writeFileSync(p, bytes.subarray(0, cut))
    await rejectsRpmError(t, unpackPackage({ path: p, dest: join(dir, "out") }), why, `cut at ${cut}`)
    onlyHas(t, dir, readdirSync(dir).filter((n) => n.endsWith(".rpm")), "no output directory, no staging left")
  }
  const r = strata(["pkg", "info", join(dir, "cut-200.rpm")])
  t.equal(r.status, 4, "Corrupt exit code")
  t.match(r.stderr, /^strata: rpm signature header: truncated/)
  t.equal(r.stderr.split("\n").filter(Boolean).length, 1, "one line")
})

t.test("a bad payload digest and a bad header digest", async (t) => {
  const dir = tmp(t)
  const bytes = Buffer.from(readFileSync(fx.tools))
  const pkg = readPackageFront(fx.tools)
  const payload = Buffer.from(bytes)
  payload[payload.length - 10]! ^= 0xff
  writeFileSync(join(dir, "payload.rpm"), payload)
  const r = await verifyPackage({ path: join(dir, "payload.rpm") }).catch((e: Error) => e)
  t.match((r as Error).message, /payload: SHA256 digest mismatch/, "a damaged payload names its digest")
  await rejectsRpmError(t, unpackPackage({ path: join(dir, "payload.rpm"), dest: join(dir, "out") }), /SHA256 digest mismatch/, "unpack refuses it")
  t.notOk(existsSync(join(dir, "out")))

  const header = Buffer.from(bytes)
  const nameAt = header.indexOf("Strata test tools", pkg.headerOffset)
  header[nameAt]! ^= 0x20 // "strata test tools": same length, still valid, different digest
  writeFileSync(join(dir, "header.rpm"), header)
  const rep = await verifyPackage({ path: join(dir, "header.rpm") })
  t.notOk(rep.digestsOk)
  t.throws(() => assertVerified(rep), /header SHA256 digest mismatch/)
  await rejectsRpmError(t, unpackPackage({ path: join(dir, "header.rpm"), dest: join(dir, "out") }), /header SHA256 digest mismatch/, "unpack checks the header digest first")
  t.notOk(existsSync(join(dir, "out")))
  // a payload that still decompresses but is not the one the header describes
  const swapped = writePackage({ name: "swap", files: [{ path: "/f", mode: 0o100644, data: Buffer.from("good") }] })
  const other = writePackage({ name: "swap", files: [{ path: "/f", mode: 0o100644, data: Buffer.from("evil") }] })
  writeFileSync(join(dir, "swap-a.rpm"), swapped)
  writeFileSync(join(dir, "swap-b.rpm"), other)
  const a = readPackageFront(join(dir, "swap-a.rpm"))
  const b = readPackageFront(join(dir, "swap-b.rpm"))
  writeFileSync(join(dir, "swapped.rpm"), Buffer.concat([swapped.subarray(0, a.payloadOffset), other.subarray(b.payloadOffset)]))
  await rejectsRpmError(t, unpackPackage({ path: join(dir, "swapped.rpm"), dest: join(dir, "out") }), /SHA256 digest mismatch/, "a swapped payload is caught by its digest")
  t.notOk(existsSync(join(dir, "out")), "and nothing is left behind")
  const cli = strata(["pkg", "verify", join(dir, "header.rpm")])
  t.equal(cli.status, 1)
  t.match(cli.stdout, /DIGESTS NOT OK/)
})

t.test("a bad signature", async (t) => {
  const dir = tmp(t)
  const bytes = Buffer.from(readFileSync(fx.signed))
  const pkg = readPackageFront(fx.signed)
  const rsa = pkg.signature.byTag.get(268)!
  // flip a byte inside the signature's MPI (its last bytes), keeping the packet parseable
  const at = 96 + 16 + pkg.signature.entries.length * 16 + 16 + rsa.offset + rsa.count - 5
  bytes[at]! ^= 0x01
  writeFileSync(join(dir, "badsig.rpm"), bytes)
  const rep = await verifyPackage({ path: join(dir, "badsig.rpm"), keyring: await loadKeyring([fx.key]) })
  t.equal(rep.signatures[0]?.status, "bad")
  t.ok(rep.digestsOk, "the digests are still fine: only the signature is bad")
  t.throws(() => assertVerified(rep), /RSA signature from key [0-9a-f]{16} is BAD/)
  t.match(strata(["pkg", "verify", join(dir, "badsig.rpm"), "--key", fx.key]).stdout, /digests SIGNATURES NOT OK/)
})

t.test("hostile paths: in the header, in the archive, and through a symlink", async (t) => {
  const dir = tmp(t)
  const cases: Array<[string, Buffer, RegExp]> = [
    ["dotdot-header", writePackage({ name: "evil1", files: [{ path: "/usr/../../etc/evil", mode: 0o100644, data: Buffer.from("x") }] }), /not a canonical path/],
    ["relative-header", writePackage({ name: "evil2", files: [{ path: "etc/evil", mode: 0o100644, data: Buffer.from("x") }] }), /not absolute/],
    [
      "dotdot-archive",
      writePackage({ name: "evil3", files: [{ path: "/usr/share/ok", mode: 0o100644, data: Buffer.from("x") }], archive: newcArchive([{ name: "../../../../tmp/evil", mode: 0o100644, data: Buffer.from("x") }]) }),
      /archive entry "..\/..\/..\/..\/tmp\/evil" is not in the header/,
    ],
    [
      "symlink-escape",
      writePackage({ name: "evil4", files: [{ path: "/usr/share/esc", mode: 0o120777, linkto: "../../../../../../.." }, { path: "/usr/share/esc/evil", mode: 0o100644, data: Buffer.from("x") }] }),
      /a symlink in its parents leads outside the tree/,
    ],
  ]
  for (const [name, bytes, why] of cases) {
    writeFileSync(join(dir, `${name}.rpm`), bytes)
    await rejectsRpmError(t, unpackPackage({ path: join(dir, `${name}.rpm`), dest: join(dir, "out", name) }), why, name)
  }
  t.same(existsSync(join(dir, "out")) ? readdirSync(join(dir, "out")) : [], [], "nothing unpacked, no staging left")
  t.notOk(existsSync("/tmp/evil"))
  // an absolute symlink parent stays inside the tree: "/etc" means the tree's etc
  writeFileSync(join(dir, "abs.rpm"), writePackage({ name: "abs", files: [{ path: "/usr/share/etc-link", mode: 0o120777, linkto: "/etc" }, { path: "/usr/share/etc-link/inside", mode: 0o100644, data: Buffer.from("x") }] }))
  await unpackPackage({ path: join(dir, "abs.rpm"), dest: join(dir, "abs") })
  t.equal(readFileSync(join(dir, "abs/etc/inside"), "utf8"), "x")
})

t.test("a decompression bomb stops at the declared size, the hard cap or the ratio", async (t) => {
  const dir = tmp(t)
  const big = Buffer.alloc(64 * 1024 * 1024) // 64 MiB of zeros → ~64 KiB of gzip
  // the signature header declares a 4 KiB payload; the archive carries 64 MiB
  const lying = writePackage({ name: "bomb", files: [{ path: "/bomb", mode: 0o100644, data: big }], payloadSize: 4096 })
  writeFileSync(join(dir, "bomb.rpm"), lying)
  await rejectsRpmError(t, unpackPackage({ path: join(dir, "bomb.rpm"), dest: join(dir, "out") }), /more than the \d+ bytes its header declares/, "declared size")
  // an honest-looking header with a huge file: the ratio limit stops it
  const honest = writePackage({ name: "bomb2", files: [{ path: "/bomb", mode: 0o100644, data: big }] })
  writeFileSync(join(dir, "bomb2.rpm"), honest)
  await rejectsRpmError(t, unpackPackage({ path: join(dir, "bomb2.rpm"), dest: join(dir, "out"), limits: { maxRatio: 100, ratioAfter: 1024 * 1024 } }), /expands more than 100:1/, "ratio")
  await rejectsRpmError(t, unpackPackage({ path: join(dir, "bomb2.rpm"), dest: join(dir, "out"), limits: { maxBytes: 8 * 1024 * 1024 } }), /decompression bomb limit/, "hard cap")
  onlyHas(t, dir, ["bomb.rpm", "bomb2.rpm"], "nothing left behind")
  t.ok(gzipSync(big).length < big.length / 500, "the bomb really is one")
})

t.test("repositories: malformed XML and a checksum mismatch", async (t) => {
  const dir = tmp(t)
  const repo = join(dir, "repo")
  mkdirSync(join(repo, "repodata"), { recursive: true })
  const src = fx.repo("gz")
  for (const f of readdirSync(join(src, "repodata"))) copyFileSync(join(src, "repodata", f), join(repo, "repodata", f))
  const conf = parseRepoFile({ text: `[bad]\nbaseurl=file://${repo}\n` })[0]!
  const cache = join(dir, "cache")
  const good = await loadRepo({ repo: conf, cacheDir: cache })
  t.equal(good.packages.length, 4)

  const primary = readdirSync(join(repo, "repodata")).find((f) => f.includes("primary"))!
  const bytes = readFileSync(join(repo, "repodata", primary))
  writeFileSync(join(repo, "repodata", primary), Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([bytes[bytes.length - 1]! ^ 1])]))
  await rejectsRpmError(t, loadRepo({ repo: conf, cacheDir: join(dir, "cache2") }), /checksum mismatch/, "repomd checksum mismatch")
  t.same(existsSync(join(dir, "cache2")) ? readdirSync(join(dir, "cache2")) : [], [], "no cache written for a bad download")
  t.equal((await loadRepo({ repo: conf, cacheDir: cache })).packages.length, 4, "the good cache is still there")

  writeFileSync(join(repo, "repodata", "repomd.xml"), "<repomd><data type='primary'>")
  await rejectsRpmError(t, loadRepo({ repo: conf, refresh: true }), /repomd.xml: malformed XML/, "malformed repomd.xml")
  const xml = "<metadata><package><name>a</name><arch>x</arch"
  const gz = gzipSync(xml)
  const sum = (await import("node:crypto")).createHash("sha256").update(gz).digest("hex")
  writeFileSync(join(repo, "repodata", "p.xml.gz"), gz)
  writeFileSync(join(repo, "repodata", "repomd.xml"), `<repomd><data type="primary"><checksum type="sha256">${sum}</checksum><location href="repodata/p.xml.gz"/></data></repomd>`)
  await rejectsRpmError(t, loadRepo({ repo: conf, refresh: true }), /primary.xml: malformed XML/, "malformed primary.xml")
})
