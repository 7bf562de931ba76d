/**
 * `npm run bench:rpm` — RPM handling against the reference tools, same inputs, same run, whole
 * processes (start-up included), median of --runs after a warm-up.
 *
 * 1. parse + verify + unpack: `strata pkg unpack` (header and payload digests, every file's
 *    digest, modes/owners/mtimes/caps) vs `rpm2cpio X | cpio -idm` (no verification at all), on
 *    RPMs that rpmbuild makes from this machine's own files: /usr/lib/x86_64-linux-gnu (gzip),
 *    /usr/bin (xz) and /usr/share (zstd), ≥ 200 MB of .rpm in total. Built once into .bench/rpm.
 * 2. repository load: a synthetic 63,000-package primary.xml.gz (Fedora-like records) loaded by
 *    `strata pkg query` cold (XML → cache) and warm (cache), vs `repo2solv` on the same repo.
 *
 * Usage: node dist/bench/rpm.js [--runs=N] [--only=unpack|repo] [--packages=N] [--settle=SECONDS]
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

const root = fileURLToPath(new URL("../../", import.meta.url))
const argv = process.argv.slice(2)
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const runs = Number(option("runs") ?? 3)
const only = option("only")
const nPackages = Number(option("packages") ?? 63000)
const work = join(root, ".bench", "rpm")
const strataBin = join(root, "bin", "strata.js")

const sh = (cmd: string, opts: { cwd?: string; env?: Record<string, string> } = {}): void => {
  const r = spawnSync("sh", ["-c", cmd], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" })
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr.slice(-2000)}`)
}
const time = (cmd: string, opts: { cwd?: string; env?: Record<string, string>; before?: () => void } = {}): number => {
  opts.before?.()
  sh("sync")
  const t0 = process.hrtime.bigint()
  sh(cmd, opts)
  return Number(process.hrtime.bigint() - t0) / 1e9
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`

/** Alternating runs after one untimed warm-up each; returns medians. */
const compare = (a: () => number, b: () => number): [number, number] => {
  a()
  b()
  const ta: number[] = []
  const tb: number[] = []
  for (let i = 0; i < runs; i++) {
    ta.push(a())
    tb.push(b())
  }
  return [median(ta), median(tb)]
}

const row = (name: string, ref: number, ours: number, target: number) =>
  console.log(`${name.padEnd(44)} ${ref.toFixed(2).padStart(7)} s ${ours.toFixed(2).padStart(7)} s  ratio ${(ours / ref).toFixed(2)}  (target ≤ ${target.toFixed(1)}) ${ours / ref <= target ? "ok" : "OVER"}`)

// ---- 1. unpack --------------------------------------------------------------------------------

const SOURCES = [
  { name: "bench-lib", dir: "/usr/lib/x86_64-linux-gnu", payload: "w6.gzdio" },
  { name: "bench-bin", dir: "/usr/bin", payload: "w2.xzdio" },
  { name: "bench-share", dir: "/usr/share", payload: "w3.zstdio" },
]

const buildRpms = (): string[] => {
  const out = join(work, "rpms")
  const stamp = join(out, ".done")
  if (!existsSync(stamp)) {
    for (const d of ["specs", "rpms", "rpmbuild"]) rmSync(join(work, d), { recursive: true, force: true })
    mkdirSync(join(work, "specs"), { recursive: true })
    mkdirSync(out, { recursive: true })
    for (const s of SOURCES) {
      const spec = join(work, "specs", `${s.name}.spec`)
      writeFileSync(spec, [
        `Name: ${s.name}`, "Version: 1", "Release: 1", "Summary: benchmark payload", "License: various", "AutoReqProv: no",
        "%description", `Files of ${s.dir} on the benchmark machine.`, "%install",
        `mkdir -p %{buildroot}${s.dir} && cp -a ${s.dir}/. %{buildroot}${s.dir}/`,
        // rpmbuild refuses sockets and devices, and names it cannot quote; such files are rare in /usr
        `find %{buildroot} \\( -type s -o -type p -o -type b -o -type c \\) -delete`,
        "%files", "%defattr(-,root,root)", s.dir, "",
      ].join("\n"))
      console.log(`building ${s.name} from ${s.dir} (${s.payload})…`)
      sh(`rpmbuild -bb --quiet --define "_topdir ${join(work, "rpmbuild")}" --define "_binary_payload ${s.payload}" --define "__os_install_post %{nil}" --define "_build_id_links none" --define "debug_package %{nil}" --define "_unpackaged_files_terminate_build 0" ${spec}`)
    }
    sh(`find ${join(work, "rpmbuild", "RPMS")} -name '*.rpm' -exec mv {} ${out}/ \\;`)
    rmSync(join(work, "rpmbuild"), { recursive: true, force: true })
    writeFileSync(stamp, "")
  }
  return readdirSync(out).filter((f) => f.endsWith(".rpm")).sort().map((f) => join(out, f))
}

/**
 * Every run unpacks into a directory of its own, and outputs are removed only between packages,
 * followed by a pause. Why: on ext4 without a journal (this machine's disk), inode allocation skips,
 * one by one, every inode freed in the last 60 s. Removing the previous run's 54k files right before
 * a timed run made bench-share take 6 s or 40 s for either tool depending on where the allocator
 * landed: a measure of the previous run's rm, not of unpacking.
 */
const settleAfterRemoval = (): void => {
  spawnSync("sleep", [String(option("settle") ?? 65)])
}

const benchUnpack = () => {
  const rpms = buildRpms()
  const total = rpms.reduce((n, p) => n + statSync(p).size, 0)
  console.log(`\nparse + verify + unpack: ${rpms.length} RPMs, ${mb(total)} (${runs} runs, median; each run into a fresh directory)`)
  const outs = join(work, "out")
  const clean = () => rmSync(outs, { recursive: true, force: true })
  let n = 0
  const fresh = () => {
    mkdirSync(outs, { recursive: true })
    return join(outs, String(n++))
  }
  if (existsSync(outs)) {
    clean()
    settleAfterRemoval()
  }
  let refAll = 0
  let oursAll = 0
  for (const [i, p] of rpms.entries()) {
    const [ref, ours] = compare(
      () => {
        const dest = fresh()
        return time(`mkdir -p ${dest} && cd ${dest} && rpm2cpio '${p}' | cpio -idm --quiet`)
      },
      () => time(`node ${strataBin} pkg unpack '${p}' ${fresh()}`),
    )
    refAll += ref
    oursAll += ours
    row(`${p.split("/").pop()} (${mb(statSync(p).size)})`, ref, ours, 1)
    clean()
    if (i < rpms.length - 1) settleAfterRemoval()
  }
  row("all packages", refAll, oursAll, 1)
}

// ---- 2. repository load ----------------------------------------------------------------------

const pkgXml = (i: number): string => {
  const name = `pkg${i}-${["lib", "devel", "tools", "doc", "python3"][i % 5]}`
  const ver = `${1 + (i % 7)}.${i % 13}.${i % 29}`
  const sum = createHash("sha256").update(name).digest("hex")
  const dep = (kind: string, n: number) =>
    `<rpm:${kind}>${Array.from({ length: n }, (_, k) => `<rpm:entry name="${kind === "provides" && k === 0 ? name : `lib${(i * 7 + k * 131) % 20000}.so.${k % 4}()(64bit)`}"${k % 3 === 0 ? ` flags="GE" epoch="0" ver="${1 + (k % 5)}.0" rel="1.fc40"` : ""}/>`).join("")}</rpm:${kind}>`
  return `<package type="rpm"><name>${name}</name><arch>${i % 11 === 0 ? "noarch" : "x86_64"}</arch><version epoch="0" ver="${ver}" rel="${1 + (i % 4)}.fc40"/><checksum type="sha256" pkgid="YES">${sum}</checksum><summary>The ${name} package: a synthetic but Fedora-sized record for benchmarking</summary><description>This is package ${name}. It exists to make primary.xml as large as a real distribution's, with a paragraph of description text, several provides and requires, and a few files, like the packages of Fedora.</description><packager>Fedora Project</packager><url>https://example.org/${name}</url><time file="1700000000" build="1699999999"/><size package="${10000 + i}" installed="${40000 + i}" archive="${41000 + i}"/><location href="Packages/${name[0]}/${name}-${ver}-1.fc40.x86_64.rpm"/><format><rpm:license>MIT AND GPL-2.0-or-later</rpm:license><rpm:vendor>Fedora Project</rpm:vendor><rpm:group>Unspecified</rpm:group><rpm:buildhost>buildvm-x86-${i % 40}.iad2.fedoraproject.org</rpm:buildhost><rpm:sourcerpm>${name}-${ver}-1.fc40.src.rpm</rpm:sourcerpm><rpm:header-range start="4504" end="${20000 + i}"/>${dep("provides", 4)}${dep("requires", 9)}<file>/usr/bin/${name}</file><file>/etc/${name}.conf</file></format></package>\n`
}

const makeRepo = (): string => {
  const dir = join(work, `repo-${nPackages}`)
  if (existsSync(join(dir, "repodata", "repomd.xml"))) return dir
  mkdirSync(join(dir, "repodata"), { recursive: true })
  console.log(`generating a ${nPackages}-package primary.xml.gz…`)
  const parts = [`<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${nPackages}">\n`]
  for (let i = 0; i < nPackages; i++) parts.push(pkgXml(i))
  parts.push("</metadata>\n")
  const xml = Buffer.from(parts.join(""))
  const gz = gzipSync(xml, { level: 6 })
  const sum = createHash("sha256").update(gz).digest("hex")
  const open = createHash("sha256").update(xml).digest("hex")
  writeFileSync(join(dir, "repodata", `${sum}-primary.xml.gz`), gz)
  writeFileSync(join(dir, "repodata", "repomd.xml"), `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm"><revision>1</revision><data type="primary"><checksum type="sha256">${sum}</checksum><open-checksum type="sha256">${open}</open-checksum><location href="repodata/${sum}-primary.xml.gz"/><timestamp>1700000000</timestamp><size>${gz.length}</size><open-size>${xml.length}</open-size></data></repomd>\n`)
  console.log(`  primary.xml: ${mb(xml.length)} (${mb(gz.length)} gzip)`)
  return dir
}

const benchRepo = () => {
  const repo = makeRepo()
  const reposDir = join(work, "yum.repos.d")
  mkdirSync(reposDir, { recursive: true })
  writeFileSync(join(reposDir, "bench.repo"), `[bench]\nbaseurl=file://${repo}\nmetadata_expire=never\n`)
  const cache = join(work, "xdg")
  const query = `node ${strataBin} pkg query --repos-dir ${reposDir} --whatprovides pkg1-devel`
  console.log(`\nrepository load: ${nPackages} packages (${runs} runs, median)`)
  const [ref, cold] = compare(
    () => time(`repo2solv -o /dev/null ${repo}`),
    () => time(query, { env: { XDG_CACHE_HOME: cache }, before: () => rmSync(cache, { recursive: true, force: true }) }),
  )
  row("cold: primary.xml.gz → packages + cache", ref, cold, 1)
  const [, warm] = compare(() => ref, () => time(query, { env: { XDG_CACHE_HOME: cache } }))
  row("warm: from the cache", ref, warm, 1)
}

console.log(`bench:rpm on ${process.version}, ${runs} runs`)
if (!only || only === "unpack") benchUnpack()
if (!only || only === "repo") benchRepo()
