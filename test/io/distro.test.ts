// The fixture distribution, checked with the reference tools: every package is what rpm -qp says
// it should be, createrepo_c indexed both repositories, and dnf resolves the base set (and the
// extras) from each compose directory's fixture.repo.
import t, { type Test } from "tap"
import { existsSync, readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { spawnSync } from "node:child_process"
import { sh, tmp } from "../helpers/tmp.js"
import { buildDistro, BASE_PACKAGES, EXTRA_PACKAGES } from "../helpers/distro.js"

const d = await buildDistro()
const qf = (rpm: string, fmt: string): string => sh("rpm", ["-qp", "--qf", fmt, rpm])

t.test("every package is built, in both versions for the base", async (t) => {
  for (const n of BASE_PACKAGES) {
    t.equal(qf(d.v1[n]!, "%{NAME}"), n)
    t.equal(qf(d.v2[n]!, "%{NAME}"), n)
    t.not(qf(d.v1[n]!, "%{VERSION}-%{RELEASE}"), qf(d.v2[n]!, "%{VERSION}-%{RELEASE}"), `${n}: versions differ`)
  }
  for (const n of EXTRA_PACKAGES) t.equal(qf(d.v1[n]!, "%{NAME}"), n)
  t.equal(qf(d.localRpms.tool, "%{NAME}"), "local-tool")
  // signed with the exported key: rpm verifies it against a keyring holding just that key
  const db = tmp(t)
  sh("rpmkeys", ["--dbpath", db, "--import", d.key])
  t.match(sh("rpmkeys", ["--dbpath", db, "-Kv", d.localRpms.signed]), /Header V4 RSA\/SHA\d+ Signature, key ID [0-9a-f]+: OK/)
  t.match(readFileSync(d.key, "utf8"), /BEGIN PGP PUBLIC KEY BLOCK/)
  t.ok(existsSync(d.localRpms.hostile))
})

t.test("contents and dependencies", async (t) => {
  t.match(sh("rpm", ["-qlp", d.v1["kernel"]!]), new RegExp(`/usr/lib/modules/${d.kver1}/vmlinuz\n[^]*/usr/lib/modules/${d.kver1}/initramfs.img|/usr/lib/modules/${d.kver1}/initramfs.img\n[^]*/usr/lib/modules/${d.kver1}/vmlinuz`))
  t.match(sh("rpm", ["-qlp", d.v2["kernel"]!]), `/usr/lib/modules/${d.kver2}/vmlinuz`)
  t.match(sh("rpm", ["-qp", "--provides", d.v1["libfoo"]!]), "libfoo.so.1()(64bit)")
  t.match(sh("rpm", ["-qp", "--requires", d.v1["hello"]!]), "libfoo.so.1()(64bit)")
  t.match(sh("rpm", ["-qp", "--requires", d.v1["tool"]!]), "libbar.so.2()(64bit)")
  t.match(sh("rpm", ["-qp", "--provides", d.v1["busybox"]!]), "/bin/sh")
  t.match(sh("rpm", ["-qp", "--conflicts", d.v1["conflicting"]!]), "hello")
  const fs = sh("rpm", ["-qp", "--qf", "[%{FILENAMES} %{FILELINKTOS}\n]", d.v1["filesystem"]!])
  for (const [l, to] of [["/bin", "usr/bin"], ["/sbin", "usr/sbin"], ["/lib", "usr/lib"], ["/lib64", "usr/lib64"]]) t.match(fs, `${l} ${to}\n`)
  t.match(sh("rpm", ["-qlp", d.v1["busybox"]!]), "/usr/bin/sh\n")
  t.match(sh("rpm", ["-qp", "--qf", "[%{FILENAMES}\n]", d.v1["setup"]!]), "/etc/passwd\n")
  const scripts = sh("rpm", ["-qp", "--scripts", d.v1["scripted"]!])
  for (const k of ["preinstall", "postinstall", "preuninstall", "postuninstall", "posttrans"]) t.match(scripts, `${k} scriptlet`)
  t.match(sh("rpm", ["-qp", "--filetriggers", d.v1["fixture-docs-index"]!]), "filetriggerin scriptlet (using /bin/sh) -- /usr/share/fixture-docs")
  t.match(sh("rpm", ["-qp", "--scripts", d.v1["failing-script"]!]), "exit 1")
  t.match(sh("rpm", ["-qp", "--requires", d.v1["extra-a"]!]), "extra-b")
  // the busybox in the package is static: scriptlets run in any root
  const bb = join(tmp(t), "bb")
  sh("bash", ["-c", `rpm2cpio ${d.v1["busybox"]} | (cd ${bb.replace(/bb$/, "")} && cpio -idm --quiet ./usr/bin/busybox) && mv ${bb.replace(/bb$/, "")}usr/bin/busybox ${bb}`])
  t.notMatch(sh("readelf", ["-lW", bb]), /INTERP/)
})

t.test("createrepo_c indexed both repositories", async (t) => {
  for (const [repo, count] of [[d.repo1, BASE_PACKAGES.length + EXTRA_PACKAGES.length], [d.repo2, 2 * BASE_PACKAGES.length + EXTRA_PACKAGES.length]] as const) {
    const repomd = readFileSync(join(repo, "repodata", "repomd.xml"), "utf8")
    t.match(repomd, /<data type="primary">/)
    t.equal(readdirSync(repo).filter((f) => f.endsWith(".rpm")).length, count)
  }
  for (const [c, repo] of [[d.compose1, d.repo1], [d.compose2, d.repo2]] as const) {
    t.equal(readFileSync(join(c, "fixture.yaml"), "utf8"), readFileSync(join(d.compose1, "fixture.yaml"), "utf8"), "same treefile")
    t.ok(existsSync(join(c, "fixture-common.yaml")))
    t.match(readFileSync(join(c, "fixture.repo"), "utf8"), `baseurl=file://${repo}\n`)
  }
})

// dnf resolves without installing (--assumeno): its transaction table is the oracle
const dnfResolve = (t: Test, compose: string, pkgs: ReadonlyArray<string>): string => {
  const dir = tmp(t)
  const r = spawnSync("dnf", [
    `--installroot=${join(dir, "root")}`, `--setopt=reposdir=${compose}`, `--setopt=cachedir=${join(dir, "cache")}`,
    "--releasever=1", "--forcearch=x86_64", "--setopt=install_weak_deps=False", "install", "--assumeno", ...pkgs,
  ], { encoding: "utf8" })
  return r.stdout + r.stderr
}

t.test("dnf resolves the base set and the extras", async (t) => {
  const out1 = dnfResolve(t, d.compose1, [...BASE_PACKAGES, "extra-a", "layer-01", "layer-03", "dracut"])
  t.match(out1, "Dependencies resolved.")
  t.match(out1, /extra-b\s+noarch\s+1\.0-1/, "extra-a pulls extra-b")
  t.match(out1, /hello\s+x86_64\s+1\.0-1/)
  t.match(out1, /Install\s+\d+ Packages/)
  const out2 = dnfResolve(t, d.compose2, [...BASE_PACKAGES])
  t.match(out2, /hello\s+x86_64\s+2\.0-1/, "repo 2 offers version 2")
  t.match(out2, /kernel\s+x86_64\s+6\.2\.0-1\.fixture/)
  // hello needs libfoo.so.1()(64bit): asking for hello alone brings libfoo
  t.match(dnfResolve(t, d.compose1, ["hello"]), /libfoo\s+x86_64/)
  t.match(dnfResolve(t, d.compose1, ["hello", "conflicting"]), /conflict/i)
})
