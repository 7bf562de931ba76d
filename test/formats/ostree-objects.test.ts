import t from "tap"
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync, chmodSync } from "node:fs"
import { join } from "node:path"
import { inflateRawSync } from "node:zlib"
import {
  parseCommit, serializeCommit, commitContentChecksum, parseDirtree, serializeDirtree, parseDirmeta, serializeDirmeta,
  parseFilezHeader, fileChecksum, parseSummary, serializeSummary, summaryRefTimestamp, validateFilename,
  OstreeFormatError, encodeSizeEntry, decodeSizeEntry, parseRefspec, isValidRef, sha256,
} from "../../src/formats/ostree/index.js"
import { serialize, lookup } from "../../src/formats/gvariant/index.js"
import { tmp, sh, ostreeContentChecksum } from "../helpers/tmp.js"

const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)])

t.test("every object the real ostree writes parses, re-serialises identically and hashes to its name", async (t) => {
  const dir = tmp(t)
  const tree = join(dir, "tree")
  mkdirSync(join(tree, "sub/empty"), { recursive: true })
  writeFileSync(join(tree, "a.txt"), "hello\n")
  writeFileSync(join(tree, "sub/run.sh"), "#!/bin/sh\necho hi\n")
  chmodSync(join(tree, "sub/run.sh"), 0o755)
  writeFileSync(join(tree, "big.bin"), Buffer.alloc(300000, 7))
  symlinkSync("a.txt", join(tree, "link"))
  try { sh("setfattr", ["-n", "user.b", "-v", "2", join(tree, "a.txt")]); sh("setfattr", ["-n", "user.a", "-v", "1", join(tree, "a.txt")]) } catch { /* fs without user xattrs */ }
  const repo = join(dir, "repo")
  sh("ostree", [`--repo=${repo}`, "init", "--mode=archive"])
  const commit = sh("ostree", [`--repo=${repo}`, "commit", "-b", "main", `--tree=dir=${tree}`, "-s", "subject", "--body=body", "--timestamp=2024-01-02 03:04:05", "--add-metadata-string=version=7"]).trim()
  sh("ostree", [`--repo=${repo}`, "summary", "-u"])
  let counts = { commit: 0, dirtree: 0, dirmeta: 0, filez: 0 }
  for (const f of walk(join(repo, "objects"))) {
    const name = f.split("/").slice(-2).join("")
    const [csum, ext] = name.split(".") as [string, keyof typeof counts]
    const bytes = readFileSync(f)
    counts[ext]++
    if (ext === "commit") {
      const c = parseCommit(bytes)
      t.equal(Buffer.compare(serializeCommit(c), bytes), 0, "commit re-serialises")
      t.equal(sha256(bytes), csum)
      t.equal(c.subject, "subject")
      t.equal(c.body, "body")
      t.equal(c.timestamp, BigInt(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000))
      t.equal(lookup(c.metadata, "version")?.value, "7")
      t.equal(commitContentChecksum(c), ostreeContentChecksum(repo, commit), "ContentChecksum as ostree show prints it")
    } else if (ext === "dirtree") {
      t.equal(Buffer.compare(serializeDirtree(parseDirtree(bytes)), bytes), 0, "dirtree re-serialises")
      t.equal(sha256(bytes), csum)
    } else if (ext === "dirmeta") {
      const m = parseDirmeta(bytes)
      t.equal(Buffer.compare(serializeDirmeta(m), bytes), 0, "dirmeta re-serialises")
      t.equal(m.mode & 0o170000, 0o040000)
    } else if (ext === "filez") {
      const h = parseFilezHeader(bytes)
      const content = h.meta.symlinkTarget ? Buffer.alloc(0) : inflateRawSync(bytes.subarray(h.payloadOffset)) // a symlink .filez ends after its header
      t.equal(BigInt(content.length), h.size)
      t.equal(fileChecksum(h.meta, content), csum, `content checksum of ${h.meta.symlinkTarget || `${h.size}-byte file`}`)
    }
  }
  t.same(counts, { commit: 1, dirtree: 3, dirmeta: 1, filez: 4 }, "found every object kind")
  const summaryBytes = readFileSync(join(repo, "summary"))
  const s = parseSummary(summaryBytes)
  t.equal(Buffer.compare(serializeSummary(s), summaryBytes), 0, "summary re-serialises")
  t.equal(s.refs[0]!.ref, "main")
  t.equal(s.refs[0]!.checksum, commit)
  t.equal(summaryRefTimestamp(s.refs[0]!), BigInt(Date.UTC(2024, 0, 2, 3, 4, 5) / 1000))
  t.equal(lookup(s.metadata, "ostree.summary.mode")?.value, "archive-z2")
})

t.test("hostile dirtree names are refused", async (t) => {
  const z = new Uint8Array(32)
  for (const name of ["..", ".", "a/b", ""]) {
    const bytes = serialize("(a(say)a(sayay))", [[[name, z]], []])
    t.throws(() => parseDirtree(bytes), OstreeFormatError, `file named ${JSON.stringify(name)}`)
    const dirs = serialize("(a(say)a(sayay))", [[], [[name, z, z]]])
    t.throws(() => parseDirtree(dirs), OstreeFormatError, `dir named ${JSON.stringify(name)}`)
  }
  t.throws(() => parseDirtree(serialize("(a(say)a(sayay))", [[["b", z], ["a", z]], []])), OstreeFormatError, "unsorted")
  // strcmp on UTF-8 bytes, not UTF-16 units: U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80),
  // although its UTF-16 unit is above the emoji's surrogates; "a" before "ab" before "é".
  const utf8Order = [["a", z], ["ab", z], ["é", z], ["\uff21", z], ["\u{1f600}", z]]
  t.doesNotThrow(() => parseDirtree(serialize("(a(say)a(sayay))", [utf8Order, []])), "UTF-8 byte order")
  t.throws(() => parseDirtree(serialize("(a(say)a(sayay))", [[["\u{1f600}", z], ["\uff21", z]], []])), OstreeFormatError, "UTF-16 order refused")
  t.throws(() => parseDirtree(serialize("(a(say)a(sayay))", [[["ab", z], ["a", z]], []])), OstreeFormatError, "longer name first refused")
  t.throws(() => parseDirtree(serialize("(a(say)a(sayay))", [[["a", new Uint8Array(31)]], []])), OstreeFormatError, "short checksum")
  t.doesNotThrow(() => validateFilename("ok.txt"))
})

t.test("malformed objects are refused with a format error", async (t) => {
  t.throws(() => parseCommit(Uint8Array.of(1, 2, 3)), OstreeFormatError)
  t.throws(() => parseDirmeta(serialize("(uuua(ayay))", [0, 0, 0x0080a481, []])), OstreeFormatError, "dirmeta with a file mode")
  t.throws(() => parseFilezHeader(Uint8Array.of(0, 0, 0, 50, 0, 0, 0, 0, 1)), OstreeFormatError, "truncated filez")
})

t.test("ostree.sizes entries and refspecs", async (t) => {
  const e = { checksum: "ab".repeat(32), archived: 300n, unpacked: 1n << 40n, type: "dirtree" as const }
  t.same(decodeSizeEntry(encodeSizeEntry(e)), e)
  t.same(decodeSizeEntry(encodeSizeEntry({ ...e, type: "file" })).type, "file")
  t.same(parseRefspec("origin:fedora/x86_64/coreos/stable"), { remote: "origin", ref: "fedora/x86_64/coreos/stable" })
  t.same(parseRefspec("main"), { remote: null, ref: "main" })
  t.notOk(isValidRef("a//b"))
  t.notOk(isValidRef("../x"))
  t.throws(() => parseRefspec("bad remote:x"))
})
