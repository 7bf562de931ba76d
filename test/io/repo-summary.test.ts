import t from "tap"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { bswap64, lookup, parseVariantText } from "../../src/formats/gvariant/index.js"
import { parseSummary } from "../../src/formats/ostree/index.js"
import { updateSummary } from "../../src/io/repo/summary.js"
import { tmp } from "../helpers/tmp.js"
import { copyRepo, ostree, ostreeHistory, srepo } from "../helpers/repo-fixture.js"

const lastModified = (bytes: Uint8Array): bigint =>
  bswap64(lookup(parseSummary(bytes).metadata, "ostree.summary.last-modified")!.value as bigint)

/** ostree's summary for `repo` (a copy), and strata's for the same repo at the same time. */
const both = async (dir: string, repo: string, args: string[] = []): Promise<[Buffer, Buffer, string]> => {
  const theirs = copyRepo(repo, join(dir, `theirs-${args.length}-${Math.random().toString(36).slice(2)}`))
  const o = ostree(theirs, "summary", "-u", ...args)
  if (o.status !== 0) throw new Error(o.stderr)
  const ref = readFileSync(join(theirs, "summary"))
  const metadata = args.filter((a) => a.startsWith("--add-metadata=")).map((a) => {
    const kv = a.slice("--add-metadata=".length)
    return [kv.slice(0, kv.indexOf("=")), parseVariantText(kv.slice(kv.indexOf("=") + 1))] as const
  })
  await updateSummary(repo, { lastModified: lastModified(ref), metadata })
  return [readFileSync(join(repo, "summary")), ref, theirs]
}

t.test("summary -u writes ostree's bytes", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  const [ours, theirs] = await both(dir, h.repo)
  t.ok(ours.equals(theirs), "byte-identical to ostree summary -u (same last-modified)")
  t.match(readFileSync(join(h.repo, "config"), "utf8"), /^indexed-deltas=true$/m, "core.indexed-deltas set")
  const s = parseSummary(ours)
  t.same(s.refs.map((r) => r.ref), ["main", "other"], "refs sorted")
  t.same(s.refs.map((r) => r.checksum), [h.c2, h.other])
  t.equal(lookup(s.metadata, "ostree.summary.mode")?.value, "archive-z2")
})

t.test("summary with extra metadata (GVariantDict order past a table resize), a static delta, tombstones", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  ostree(h.repo, "static-delta", "generate", "main")
  writeFileSync(join(h.repo, "config"), readFileSync(join(h.repo, "config"), "utf8") + "tombstone-commits=true\n")
  const args = ["--add-metadata=foo='bar'", "--add-metadata=b=true", "--add-metadata=n=5", "--add-metadata=u=uint64 7", "--add-metadata=s=\"it's\""]
  const [ours, theirs] = await both(dir, h.repo, args)
  t.ok(ours.equals(theirs), "byte-identical, key order included")
  t.ok(lookup(parseSummary(ours).metadata, "ostree.static-deltas"), "the delta is listed")
})

t.test("strata and ostree read each other's summaries the same way", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "archive")
  writeFileSync(join(h.repo, "summary.sig"), "stale")
  const u = srepo(h.repo, "summary", "-u")
  t.equal(u.status, 0, u.stderr)
  t.notOk(existsSync(join(h.repo, "summary.sig")), "a stale signature is removed")
  const v = ostree(h.repo, "summary", "-v")
  t.equal(v.status, 0, "ostree parses strata's summary")
  t.equal(srepo(h.repo, "summary", "-v").stdout, v.stdout, "summary -v identical")
  t.equal(srepo(h.repo, "summary", "--raw").stdout, ostree(h.repo, "summary", "--raw").stdout, "summary --raw identical")
  const theirs = copyRepo(h.repo, join(dir, "theirs"))
  ostree(theirs, "summary", "-u", "--add-metadata=x=int16 -3")
  t.equal(srepo(theirs, "summary", "-v").stdout, ostree(theirs, "summary", "-v").stdout, "viewing ostree's summary")
  t.match(srepo(h.repo, "summary", "-v").stdout, /^\* main\n {4}Latest Commit \(\d+ bytes\):\n {6}[0-9a-f]{64}\n/)
})

t.test("summary errors", async (t) => {
  const dir = tmp(t)
  const h = ostreeHistory(dir, "bare")
  let r = srepo(h.repo, "summary", "-v")
  t.equal(r.status, 3, "no summary yet")
  t.equal(r.stderr.trim().split("\n").length, 1)
  r = srepo(h.repo, "summary")
  t.equal(r.status, 2, "no option")
  r = srepo(h.repo, "summary", "-u", "-m", "k=[1]")
  t.equal(r.status, 2, "unsupported metadata value")
  writeFileSync(join(h.repo, "refs/heads/dangling"), `${"4".repeat(64)}\n`)
  r = srepo(h.repo, "summary", "-u")
  t.equal(r.status, 3, "a ref to a missing commit")
  t.match(r.stderr, /no such commit object 4{64}/)
  t.notOk(existsSync(join(h.repo, "summary")), "nothing written")
})
