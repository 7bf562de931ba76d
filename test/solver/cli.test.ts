// `strata pkg solve` end to end: text and --json output, snapshots (a second run parses nothing),
// what makes it rebuild, bad input (no match, damaged metadata, a damaged snapshot), and the
// primary.xml reader against the streaming parser of src/formats/rpm on the same files.
import t from "tap"
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { strata, tmp } from "../helpers/tmp.js"
import { rpmFixtures } from "../io/rpm-fixtures.js"
import { writeRpmMd } from "./oracle-io.js"
import { Pool } from "../../src/solver/pool.js"
import { addPrimaryXml } from "../../src/solver/input-primary.js"
import { addMdPackage } from "../../src/solver/input-md.js"
import { primaryParser, type MdPackage } from "../../src/formats/rpm/repomd.js"
import { NKINDS } from "../../src/solver/package.js"

const json = (args: string[]) => {
  const r = strata(["pkg", "solve", "--json", ...args])
  return { status: r.status, report: r.stdout ? (JSON.parse(r.stdout) as { ok: boolean; install: string[]; erase: string[]; stats: { source: string } }) : undefined, stderr: r.stderr }
}

const dump = (pool: Pool): string[] => {
  const out: string[] = []
  for (let s = 1; s < pool.count; s++) {
    const deps = Array.from({ length: NKINDS }, (_, k) => Array.from(pool.depsOf(s, k)).map((d) => pool.formatDep(d)).join(","))
    out.push(`${pool.nevra(s)} ${deps.join(";")} ${Array.from(pool.filesOf(s)).map((f) => pool.strings.str(f)).join(",")}`)
  }
  return out
}

t.test("the primary.xml reader agrees with the streaming XML parser", async (t) => {
  const dir = tmp(t)
  const gen = join(dir, "gen")
  writeRpmMd(gen, [
    { name: "amp&co", epoch: "3", version: "1.0~rc<1>", release: "1.fc40", arch: "x86_64", provides: ["weird\"name = 1", "lib(x)(64bit)"], requires: ["(a >= 1.0 or (b if c))", "d < 2", "e <= 1:2-3"], conflicts: ["f > 1"], obsoletes: ["g"], recommends: ["h"], suggests: ["i"], supplements: ["(j and k)"], enhances: ["l"], files: ["/usr/bin/ä ö"] },
    { name: "plain", version: "1", release: "1", arch: "noarch" },
    { name: "srcpkg", version: "1", release: "1", arch: "src" },
  ])
  for (const repo of [rpmFixtures().repo("gz"), gen]) {
    const file = readdirSync(join(repo, "repodata")).find((f) => f.includes("primary.xml"))!
    const xml = gunzipSync(readFileSync(join(repo, "repodata", file)))
    const fast = new Pool()
    addPrimaryXml(fast, fast.addRepo({ name: "r" }), xml)
    const slow = new Pool()
    const r = slow.addRepo({ name: "r" })
    const sink = primaryParser((p: MdPackage) => {
      if (p.arch !== "src") addMdPackage(slow, r, p)
    })
    sink.write(xml.toString("utf8"))
    sink.end()
    t.same(dump(fast), dump(slow), `${repo.split("/").pop()}: same packages, dependencies and files`)
  }
  t.throws(() => addPrimaryXml(new Pool(), 0, new TextEncoder().encode("<notmetadata/>")), { name: "PrimaryXmlError" })
})

t.test("strata pkg solve", async (t) => {
  const fx = rpmFixtures()
  const dir = tmp(t)
  const base = join(dir, "base")
  writeRpmMd(base, [{ name: "bash", version: "5.2", release: "1", arch: "x86_64", files: ["/bin/sh"] }, { name: "coreutils", version: "9", release: "1", arch: "x86_64" }])
  const cache = join(dir, "cache")
  const args = ["--repo-dir", fx.repo("xz"), "--repo-dir", base, "--cache-dir", cache, "--install", "strata-tools"]
  const first = json(args)
  t.equal(first.status, 0)
  t.same(first.report!.install, ["bash-5.2-1.x86_64", "coreutils-9-1.x86_64", "strata-basic-2:1.2.3-4.fc40.noarch", "strata-lib-1:1.0~rc1-1.x86_64", "strata-tools-2.0^git20240101-0.1.noarch"])
  t.equal(first.report!.stats.source, "metadata")
  const second = json(args)
  t.equal(second.report!.stats.source, "snapshot", "the second run loads the snapshot")
  t.same(second.report!.install, first.report!.install)
  t.equal(json(["--repo-dir", fx.repo("zstd"), "--repo-dir", base, "--cache-dir", cache, "--install", "strata-tools"]).report!.stats.source, "metadata", "other repositories, another snapshot")

  const text = strata(["pkg", "solve", ...args])
  t.match(text.stdout, /^Installing:\n {2}bash-5\.2-1\.x86_64\n/)
  t.match(text.stdout, /Transaction Summary: install 5 packages, upgrade 0, downgrade 0, remove 0/)
  t.equal(strata(["pkg", "solve", "--no-cache", "--repo-dir", fx.repo("gz"), "--repo-dir", base, "--install", "strata-signed"]).stdout, "Installing:\n  strata-signed-1.0-1.noarch\n\nTransaction Summary: install 1 package, upgrade 0, downgrade 0, remove 0\n")

  const excluded = strata(["pkg", "solve", "--no-cache", "--repo-dir", fx.repo("gz"), "--repo-dir", base, "--exclude", "strata-lib", "--install", "strata-tools"])
  t.equal(excluded.status, 1, "excluding a dependency leaves no solution")
  t.match(excluded.stdout, /filtered out by exclude filtering/)

  const missing = strata(["pkg", "solve", "--no-cache", "--repo-dir", fx.repo("gz"), "--install", "no-such-package"])
  t.equal(missing.status, 3)
  t.match(missing.stderr, /no match for argument: no-such-package/)
  t.equal(strata(["pkg", "solve", "--repo-dir", fx.repo("gz")]).status, 2, "nothing to do")
  t.equal(strata(["pkg", "solve", "--no-cache", "--repo-dir", dir, "--install", "x"]).status, 3, "not a repository")

  // a snapshot that is damaged is rebuilt, not trusted
  const snaps = readdirSync(cache).filter((f) => f.endsWith(".pool"))
  for (const f of snaps) writeFileSync(join(cache, f), "garbage")
  const rebuilt = json(args)
  t.equal(rebuilt.status, 0)
  t.equal(rebuilt.report!.stats.source, "metadata")
  t.equal(json(args).report!.stats.source, "snapshot", "and written again")
  t.ok(snaps.every((f) => existsSync(join(cache, f))))
})

t.test("damaged metadata is refused", async (t) => {
  const dir = tmp(t)
  const repo = join(dir, "repo")
  writeRpmMd(repo, [{ name: "a", version: "1", release: "1", arch: "noarch" }])
  const file = readdirSync(join(repo, "repodata")).find((f) => f.includes("primary"))!
  const bytes = readFileSync(join(repo, "repodata", file))
  bytes[bytes.length - 5]! ^= 0xff
  writeFileSync(join(repo, "repodata", file), bytes)
  const r = strata(["pkg", "solve", "--no-cache", "--repo-dir", repo, "--install", "a"])
  t.equal(r.status, 4, "Corrupt")
  t.match(r.stderr, /checksum mismatch/)
})

t.test("kernels install beside each other, as dnf's installonlypkgs", async (t) => {
  const dir = tmp(t)
  const repo = join(dir, "repo")
  writeRpmMd(repo, [
    { name: "kernel", version: "6.1", release: "1", arch: "x86_64", requires: ["kernel-core = 6.1-1"] },
    { name: "kernel-core", version: "6.1", release: "1", arch: "x86_64" },
    { name: "kernel", version: "6.2", release: "1", arch: "x86_64", requires: ["kernel-core = 6.2-1"] },
    { name: "kernel-core", version: "6.2", release: "1", arch: "x86_64" },
  ])
  const r = json(["--no-cache", "--repo-dir", repo, "--install", "kernel-6.1", "--install", "kernel-6.2", "--installonly", "kernel", "--installonly", "kernel-core"])
  t.equal(r.status, 0)
  t.same(r.report!.install, ["kernel-6.1-1.x86_64", "kernel-6.2-1.x86_64", "kernel-core-6.1-1.x86_64", "kernel-core-6.2-1.x86_64"])
  t.equal(json(["--no-cache", "--repo-dir", repo, "--install", "kernel-6.1", "--install", "kernel-6.2", "--installonly", "nothing-else"]).status, 1, "without them, two versions of a name clash")
})
