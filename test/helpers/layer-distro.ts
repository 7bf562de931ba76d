/**
 * A small RPM distribution for the layering tests, built by rpmbuild + createrepo_c on first use
 * into fixtures/rpms/.build-layer/<hash of the specs> (reused while they are unchanged):
 *
 *   repo/1: base-lib-1, base-extra-1, hello-1 (needs base-lib, ships /etc and /var content),
 *           world-1 (needs hello), conflicting-1 (conflicts with base-lib), needs-missing-1,
 *           failing-script-1 (%post fails, printing to stderr), pinned-old-1 (conflicts with base-lib >= 2)
 *   repo/2: the same with base-lib-2, base-extra-1.1, hello-2
 *   local:  local-tool-1 (in no repository)
 *
 * and base commits: `makeBase` checks base-lib + base-extra of a repo into a minimal OS tree
 * (with its rpmdb) and commits it to a ref of the sysroot repo, as a compose would.
 */
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { variant } from "../../src/formats/gvariant/value.js"
import { commitTree } from "../../src/io/repo/commit.js"
import { initRepo, openRepo } from "../../src/io/repo/repo.js"
import { checkout } from "../../src/io/repo/checkout.js"
import { checkoutCached, importPackage } from "../../src/io/rpm/import-cache.js"
import { readPackageFront } from "../../src/io/rpm/read.js"
import { addToRpmdb } from "../../src/io/rpm/rpmdb.js"
import { makeOsTree, sysrootTmp } from "./sysroot.js"

interface Spec {
  readonly name: string
  readonly version: string
  readonly requires?: string[]
  readonly conflicts?: string[]
  readonly provides?: string[]
  readonly files: Record<string, string>
  readonly dirs?: string[]
  readonly post?: string
}

const spec = (s: Spec): string => `Name: ${s.name}
Version: ${s.version}
Release: 1
Summary: ${s.name} (strata layering fixture)
License: MIT
BuildArch: noarch
${(s.requires ?? []).map((r) => `Requires: ${r}\n`).join("")}${(s.conflicts ?? []).map((r) => `Conflicts: ${r}\n`).join("")}${(s.provides ?? []).map((r) => `Provides: ${r}\n`).join("")}
%description
${s.name} test package.

%install
${(s.dirs ?? []).map((d) => `mkdir -p %{buildroot}${d}\n`).join("")}${Object.entries(s.files)
  .map(([p, c]) => `mkdir -p %{buildroot}$(dirname ${p})\nprintf '${c}' > %{buildroot}${p}\n`)
  .join("")}
${s.post ? `%post\n${s.post}\n` : ""}
%files
${(s.dirs ?? []).map((d) => `%dir ${d}\n`).join("")}${Object.keys(s.files).map((p) => (p.startsWith("/etc/") ? `%config(noreplace) ${p}` : p)).join("\n")}
`

const v = (n: 1 | 2): Spec[] => [
  { name: "base-lib", version: `${n}.0`, provides: ["/bin/sh"], files: { "/usr/lib/base-lib.txt": `base-lib ${n}\\n` } },
  { name: "base-extra", version: n === 1 ? "1.0" : "1.1", files: { "/usr/share/base-extra/readme": `extra ${n}\\n` } },
  {
    name: "hello", version: `${n}.0`, requires: ["base-lib"],
    files: { "/usr/bin/hello": `#!/bin/sh\\necho hello ${n}\\n`, "/etc/hello.conf": `greeting=${n}\\n` },
    dirs: ["/var/lib/hello", "/var/cache/hello"],
  },
  { name: "world", version: "1.0", requires: ["hello"], files: { "/usr/bin/world": "world\\n" } },
  { name: "conflicting", version: "1.0", conflicts: ["base-lib"], files: { "/usr/bin/conflicting": "c\\n" } },
  { name: "pinned-old", version: "1.0", conflicts: ["base-lib >= 2.0"], files: { "/usr/bin/pinned-old": "p\\n" } },
  { name: "needs-missing", version: "1.0", requires: ["does-not-exist"], files: { "/usr/bin/needs-missing": "m\\n" } },
  { name: "failing-script", version: "1.0", files: { "/usr/bin/failing-script": "f\\n" }, post: "echo 'failing-script: the post script failed on purpose' >&2\nexit 1" },
]
const LOCAL: Spec = { name: "local-tool", version: "1.0", files: { "/usr/bin/local-tool": "local\\n" } }

export const distroDir = join(process.cwd(), "fixtures", "rpms", ".build-layer")

const build = (specs: Spec[], out: string, work: string): void => {
  mkdirSync(out, { recursive: true })
  mkdirSync(work, { recursive: true })
  for (const s of specs) {
    const file = join(work, `${s.name}.spec`)
    writeFileSync(file, spec(s))
    execFileSync("rpmbuild", ["-bb", "--quiet", "--define", `_topdir ${work}/top`, "--define", "_build_id_links none", "--define", "__os_install_post %{nil}", "--define", `_rpmdir ${out}`, "--define", "_rpmfilename %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm", file], { stdio: ["ignore", "ignore", "pipe"] })
  }
}

export interface LayerDistro {
  readonly repo: (n: 1 | 2) => string
  readonly local: string
  readonly rpm: (n: 1 | 2, name: string) => string
}

export const layerDistro = (): LayerDistro => {
  const stamp = createHash("sha256").update(JSON.stringify([v(1), v(2), LOCAL, spec(LOCAL)])).digest("hex").slice(0, 16)
  const top = join(distroDir, stamp)
  if (!existsSync(top)) {
    // built aside and renamed into place: parallel test files never see half a distribution
    const tmp = join(distroDir, `tmp-${process.pid}`)
    rmSync(tmp, { recursive: true, force: true })
    const work = join(tmp, "work")
    for (const n of [1, 2] as const) {
      build(v(n), join(tmp, "repo", `${n}`), work)
      execFileSync("createrepo_c", ["--quiet", "--no-database", join(tmp, "repo", `${n}`)])
    }
    build([LOCAL], join(tmp, "local"), work)
    rmSync(work, { recursive: true, force: true })
    try {
      renameSync(tmp, top)
    } catch {
      rmSync(tmp, { recursive: true, force: true })
    }
  }
  const rpm = (n: 1 | 2, name: string): string => {
    const dir = join(top, "repo", `${n}`)
    return join(dir, readdirSync(dir).find((f) => f.startsWith(`${name}-`) && /^\d/.test(f.slice(name.length + 1)))!)
  }
  return { repo: (n) => join(top, "repo", `${n}`), local: join(top, "local", "local-tool-1.0-1.noarch.rpm"), rpm }
}

/** A repo file for /etc/yum.repos.d pointing at repo/n. */
export const repoFile = (d: LayerDistro, n: 1 | 2, extra = "gpgcheck=0\n"): string => `[fixture]\nname=Fixture ${n}\nbaseurl=file://${d.repo(n)}\nenabled=1\n${extra}`

/**
 * Commits a base image (minimal OS tree + base-lib and base-extra of repo/n, rpmdb at
 * usr/share/rpm, /etc/yum.repos.d/fixture.repo → repo/n) to `ref` in the repository at `repoDir`.
 */
export const makeBase = async ({ repoDir, ref, n, work, d, etc = {} }: { repoDir: string; ref: string; n: 1 | 2; work: string; d: LayerDistro; etc?: Record<string, string> }): Promise<string> => {
  const root = join(work, `base-${n}-${Date.now()}`)
  makeOsTree(root, { prettyName: `Test OS ${n}`, etc: { "os.conf": `v${n}\n`, "yum.repos.d/fixture.repo": repoFile(d, n), ...etc } })
  // a real shell for scriptlets: the static busybox (CI installs busybox-static)
  rmSync(join(root, "usr/bin/sh"))
  copyFileSync("/bin/busybox", join(root, "usr/bin/busybox"))
  symlinkSync("busybox", join(root, "usr/bin/sh"))
  symlinkSync("usr/bin", join(root, "bin"))
  const fronts = []
  for (const name of ["base-lib", "base-extra"]) {
    const path = d.rpm(n, name)
    const { dir } = await importPackage({ path, cacheDir: join(work, "import-cache") })
    await checkoutCached({ from: dir, into: root, copy: true })
    fronts.push(readPackageFront(path))
  }
  addToRpmdb({ path: join(root, "usr/share/rpm/rpmdb.sqlite"), packages: fronts })
  const repo = await openRepo(repoDir)
  const r = await commitTree(repo, {
    branch: ref, trees: [{ dir: root }], subject: `base ${n}`, timestamp: BigInt(1700000000 + n * 3600),
    metadata: [["version", variant("s", `${n}`)]],
  })
  rmSync(root, { recursive: true, force: true })
  return r.commit
}

/**
 * A sysroot whose repo holds base 1 (`testos/base`), and a "merge deployment" next to it: a
 * checkout of the base with /etc (what the layer build reads its repo config and passwd from).
 */
export const layerSysroot = async (t: { teardown: (fn: () => void) => void }, mode: "bare" | "archive" = "bare") => {
  const dir = sysrootTmp(t)
  const d = layerDistro()
  const sysroot = join(dir, "S")
  mkdirSync(join(sysroot, "ostree"), { recursive: true })
  await initRepo({ path: join(sysroot, "ostree/repo"), mode })
  const base = await makeBase({ repoDir: join(sysroot, "ostree/repo"), ref: "testos/base", n: 1, work: dir, d })
  const configRoot = join(dir, "deploy")
  await checkout(await openRepo(join(sysroot, "ostree/repo")), { rev: base, destination: configRoot })
  execFileSync("cp", ["-a", join(configRoot, "usr/etc"), join(configRoot, "etc")])
  return { dir, d, sysroot, base, configRoot }
}
