// rpm-md repositories made by createrepo_c: .repo files, gzip/xz/zstd metadata over file:// and
// http:// (a loopback server), metalinks and mirror lists, the cache and its expiry, queries.
import t from "tap"
import { createServer } from "node:http"
import { createReadStream, existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { AddressInfo } from "node:net"
import { strata, tmp } from "../helpers/tmp.js"
import { rpmFixtures } from "./rpm-fixtures.js"
import { parseRepoFile } from "../../src/formats/rpm/repo-conf.js"
import { loadRepo } from "../../src/io/rpm/repo-metadata.js"
import { loadRepoConfigs } from "../../src/io/rpm/repos.js"
import { nevraOfMd, whatProvides, requiresOf } from "../../src/io/rpm/query.js"
import { download } from "../../src/io/rpm/fetch.js"
import type { MdPackage } from "../../src/formats/rpm/repomd.js"

const fx = rpmFixtures()
const NEVRAS = ["strata-basic-2:1.2.3-4.fc40.noarch", "strata-lib-1:1.0~rc1-1.x86_64", "strata-signed-1.0-1.noarch", "strata-tools-2.0^git20240101-0.1.noarch"]
const repoConf = (text: string) => parseRepoFile({ text })[0]!

t.test("primary + filelists in gzip, xz and zstd", async (t) => {
  for (const comp of ["gz", "xz", "zstd"] as const) {
    const idx = await loadRepo({ repo: repoConf(`[r]\nbaseurl=file://${fx.repo(comp)}\n`), filelists: true })
    t.same(idx.packages.map(nevraOfMd).sort(), NEVRAS, comp)
    const basic = idx.packages.find((p) => p.name === "strata-basic")!
    t.ok(basic.files.includes("/usr/share/strata/link-b"), `${comp}: full file lists from filelists.xml`)
    t.ok(basic.requires.some((d) => d.name.startsWith("(")), "rich deps")
    t.ok(basic.recommends.length && basic.suggests.length && basic.supplements.length && basic.enhances.length, "weak deps")
  }
})

t.test("queries: versioned, unversioned and file provides; requires", async (t) => {
  const { packages } = await loadRepo({ repo: repoConf(`[r]\nbaseurl=file://${fx.repo("gz")}\n`), filelists: true })
  t.same(whatProvides(packages, "strata-lib >= 1:1.0~rc1").map(nevraOfMd), ["strata-lib-1:1.0~rc1-1.x86_64"])
  t.same(whatProvides(packages, "strata-lib >= 1:1.0").map(nevraOfMd), [], "tilde sorts before the release")
  t.same(whatProvides(packages, "strata-lib >= 1.0").map(nevraOfMd), ["strata-lib-1:1.0~rc1-1.x86_64"], "no epoch in the require: a positive epoch wins")
  t.same(whatProvides(packages, "strata-virtual").map(nevraOfMd), ["strata-basic-2:1.2.3-4.fc40.noarch"], "unversioned provide")
  t.same(whatProvides(packages, "strata-virtual = 5").map(nevraOfMd), ["strata-basic-2:1.2.3-4.fc40.noarch"], "an unversioned provide satisfies any version")
  t.same(whatProvides(packages, "/usr/bin/strata-tool").map(nevraOfMd), ["strata-tools-2.0^git20240101-0.1.noarch"])
  t.same(requiresOf(packages, "strata-tools")[0]!.requires, ["/bin/sh", "strata-basic = 2:1.2.3", "strata-lib >= 1:1.0~rc1"])
})

t.test("the cache: served without fetching until it expires, then revalidated", async (t) => {
  const dir = tmp(t)
  const cacheDir = join(dir, "cache")
  const repo = repoConf(`[r]\nbaseurl=file://${fx.repo("xz")}\nmetadata_expire=1h\nexcludepkgs=strata-sig*\n`)
  const now = Date.now()
  const a = await loadRepo({ repo, cacheDir, now })
  t.equal(a.source, "fetched")
  t.same(a.packages.map((p) => p.name).sort(), ["strata-basic", "strata-lib", "strata-tools"], "excludepkgs applied")
  t.equal((await loadRepo({ repo, cacheDir, now: now + 1000 })).source, "cache")
  t.equal((await loadRepo({ repo, cacheDir, now: now + 2 * 3600 * 1000 })).source, "revalidated", "after expiry, an unchanged repomd revalidates")
  t.equal((await loadRepo({ repo, cacheDir, now: now + 2 * 3600 * 1000 + 1000 })).source, "cache")
  t.ok(existsSync(join(cacheDir, "r", "packages.table")))
})

t.test("http(s) via undici, metalink and mirror list, package download with checksum", async (t) => {
  const root = fx.repo("zstd")
  const server = createServer((req, res) => {
    const p = join(root, decodeURIComponent(new URL(req.url!, "http://x").pathname))
    if (!existsSync(p)) {
      res.statusCode = 404
      res.end()
      return
    }
    createReadStream(p).pipe(res)
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const idx = await loadRepo({ repo: repoConf(`[h]\nbaseurl=${base}\n`) })
  t.same(idx.packages.map(nevraOfMd).sort(), NEVRAS, "over http")

  const dir = tmp(t)
  writeFileSync(join(dir, "metalink.xml"), `<?xml version="1.0"?><metalink><files><file name="repomd.xml"><resources><url protocol="http" type="http">${base}nowhere/repodata/repomd.xml</url><url protocol="http" type="http">${base}repodata/repomd.xml</url></resources></file></files></metalink>`)
  const ml = await loadRepo({ repo: repoConf(`[m]\nmetalink=file://${join(dir, "metalink.xml")}\n`) })
  t.equal(ml.baseurl, base, "the first mirror 404s; the second serves")
  writeFileSync(join(dir, "mirrors"), `# mirrors\n${base}\n`)
  t.equal((await loadRepo({ repo: repoConf(`[l]\nmirrorlist=file://${join(dir, "mirrors")}\n`) })).packages.length, 4)

  const pkg = idx.packages.find((p) => p.name === "strata-tools")!
  await download({ url: base + pkg.location, dest: join(dir, "tools.rpm"), checksum: { type: "sha256", value: pkg.pkgid } })
  t.ok(existsSync(join(dir, "tools.rpm")))
  await t.rejects(download({ url: base + pkg.location, dest: join(dir, "bad.rpm"), checksum: { type: "sha256", value: "00".repeat(32) } }), /checksum mismatch/)
  t.notOk(existsSync(join(dir, "bad.rpm")), "a bad download never lands")
})

t.test("CLI: repos and query over a repos dir", async (t) => {
  const dir = tmp(t)
  const reposDir = join(dir, "yum.repos.d")
  mkdirSync(reposDir)
  writeFileSync(join(reposDir, "fx.repo"), `[fx]\nname=Fixtures $releasever $basearch\nbaseurl=file://${fx.repo("gz")}\ngpgcheck=1\ngpgkey=file://${fx.key}\n\n[off]\nbaseurl=file:///nonexistent\nenabled=0\n`)
  const configs = await loadRepoConfigs({ reposDir, vars: { releasever: "40" } })
  t.same(configs.map((c) => c.id), ["fx", "off"])
  t.match(configs[0]!.name, /^Fixtures 40 \S+$/)
  const repos = JSON.parse(strata(["pkg", "repos", "--repos-dir", reposDir, "--releasever", "40", "--json"]).stdout)
  t.match(repos[0].name, /^Fixtures 40 /)
  t.equal(repos[1].enabled, false)
  const env = { XDG_CACHE_HOME: join(dir, "xdg") }
  const q = strata(["pkg", "query", "--repos-dir", reposDir, "--whatprovides", "strata-basic-api >= 1.0"], { env })
  t.equal(q.stdout.trim(), "strata-basic-2:1.2.3-4.fc40.noarch", q.stderr)
  t.equal(strata(["pkg", "query", "--repos-dir", reposDir], { env }).stdout.trim().split("\n").length, 4)
  t.match(strata(["pkg", "query", "--repos-dir", reposDir, "--requires", "strata-tools"], { env }).stdout, /strata-lib >= 1:1.0~rc1/)
  t.equal(strata(["pkg", "query", "--repos-dir", reposDir, "--requires", "nope"], { env }).status, 3)
})

t.test("primary.xml parsed on worker threads gives the same packages, in order", async (t) => {
  const { parsePrimaryParallel } = await import("../../src/io/rpm/primary-pool.js")
  const { primaryParser } = await import("../../src/formats/rpm/repomd.js")
  const pkg = (i: number) =>
    `<package type="rpm"><name>p${i}</name><arch>noarch</arch><version epoch="0" ver="1.${i}" rel="1"/><checksum type="sha256" pkgid="YES">${i}</checksum><summary>caf\u00e9 ${i}</summary><packager>P</packager><location href="p${i}.rpm"/><format><rpm:provides><rpm:entry name="p${i}" flags="EQ" epoch="0" ver="1.${i}" rel="1"/><rpm:entry name="common"/></rpm:provides></format></package>\n`
  const xml = Buffer.from(`<?xml version="1.0"?>\n<metadata packages="3000">\n${Array.from({ length: 3000 }, (_, i) => pkg(i)).join("")}</metadata>\n`)
  const chunks = async function* (b: Buffer) {
    for (let i = 0; i < b.length; i += 7777) yield b.subarray(i, i + 7777)
  }
  const sequential: MdPackage[] = []
  const s = primaryParser((p) => sequential.push(p))
  s.write(xml.toString("utf8"))
  s.end()
  const { readTableFile, TableFileWriter } = await import("../../src/io/rpm/table-file.js")
  const dir = tmp(t)
  for (const [workers, local] of [[2, false], [1, true], [1, false]] as const) {
    const writer = new TableFileWriter(join(dir, `t${workers}${local}`))
    let blocks = 0
    const table = await parsePrimaryParallel({ source: chunks(xml), workers, local, blockSize: 64 * 1024, onBlock: (parts) => (blocks++, writer.append(parts)) })
    await writer.finish()
    const parallel = table.toPackages()
    t.same(parallel, sequential, `${workers} workers${local ? " and the main thread" : ""}`)
    t.ok(blocks > 3, "several blocks, each handed to the cache")
    t.same(readTableFile(writer.path).toPackages(), sequential, "the cache file's frames, read back, in document order")
    t.equal(parallel[2999]!.summary, "caf\u00e9 2999", "UTF-8 survives the cuts")
    t.equal(table.withDependency("provides", "common").length, 3000, "a name interned in each block is found in all")
  }
  const { readFileSync: read, writeFileSync: write } = await import("node:fs")
  const whole = read(join(dir, "t1true"))
  write(join(dir, "cut"), whole.subarray(0, whole.length - 100))
  t.throws(() => readTableFile(join(dir, "cut")), "a truncated cache file is refused (and refetched)")
  const broken = Buffer.from(xml.toString("utf8").replace("<name>p1500</name>", "<name>p1500</nam>"))
  await t.rejects(parsePrimaryParallel({ source: chunks(broken), workers: 2, blockSize: 64 * 1024 }), /primary.xml: malformed XML/)
  await t.rejects(parsePrimaryParallel({ source: chunks(broken), workers: 1, blockSize: 64 * 1024 }), /primary.xml: malformed XML/)
  await t.rejects(parsePrimaryParallel({ source: chunks(xml.subarray(0, xml.length - 40)), workers: 2 }), /primary.xml/)
})

t.test("repo_gpgcheck: repomd.xml.asc must verify against the repo's gpgkey", async (t) => {
  const { cpSync, readFileSync: read, writeFileSync: write } = await import("node:fs")
  const { execFileSync } = await import("node:child_process")
  const dir = tmp(t)
  const repo = join(dir, "repo")
  cpSync(fx.repo("gz"), repo, { recursive: true })
  const gpg = (args: string[]) => execFileSync("gpg", ["--batch", "--quiet", ...args], { env: { ...process.env, GNUPGHOME: join(fx.dir, "gnupg") }, stdio: ["ignore", "ignore", "pipe"] })
  gpg(["--yes", "--armor", "--local-user", "test@strata.invalid", "--detach-sign", "--output", join(repo, "repodata/repomd.xml.asc"), join(repo, "repodata/repomd.xml")])
  const conf = (key: string) => repoConf(`[s]\nbaseurl=file://${repo}\nrepo_gpgcheck=1\ngpgkey=file://${key}\n`)
  t.equal((await loadRepo({ repo: conf(fx.key) })).packages.length, 4, "signed by the repo's key")
  await t.rejects(loadRepo({ repo: conf(fx.otherKey) }), /repomd.xml signature is not valid/, "signed by another key")
  write(join(repo, "repodata/repomd.xml"), read(join(repo, "repodata/repomd.xml"), "utf8").replace("<revision>", "<revision>1"))
  await t.rejects(loadRepo({ repo: conf(fx.key) }), /repomd.xml signature is not valid/, "a modified repomd.xml")
})
