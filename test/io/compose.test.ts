/**
 * `strata compose tree` on the fixture distribution, checked with the reference tools: `ostree`
 * reads the commit (ls, cat, show, fsck), `rpm --root --dbpath /usr/share/rpm -qa` lists the
 * packages of a checkout, the metadata keys are rpm-ostree's, an unchanged re-run writes nothing,
 * and the second compose directory (repo 2: version 2 packages) makes a child with the version
 * bumped.
 */
import t from "tap"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { spawn, spawnSync } from "node:child_process"
import { buildDistro, BASE_PACKAGES } from "../helpers/distro.js"
import { sh, strata, tmp } from "../helpers/tmp.js"
import { sysrootTmp } from "../helpers/sysroot.js"

const REF = "strata/fixture/x86_64/base"

const meta = (repo: string, key: string, rev = REF): string => sh("ostree", [`--repo=${repo}`, "show", `--print-metadata-key=${key}`, rev]).trim()

const strataAsync = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const p = spawn(process.execPath, [join(process.cwd(), "bin", "strata.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    p.stdout.on("data", (b: Buffer) => (stdout += b.toString()))
    p.stderr.on("data", (b: Buffer) => (stderr += b.toString()))
    p.on("close", (status) => resolve({ status, stdout, stderr }))
  })

const objects = (repo: string): string[] =>
  readdirSync(join(repo, "objects")).flatMap((d) => readdirSync(join(repo, "objects", d)).map((n) => `${d}${n}`)).sort()

t.test("compose the fixture treefile; ostree and rpm read the result", async (t) => {
  const d = await buildDistro()
  const dir = tmp(t, "strata-compose-")
  const repo = join(dir, "repo")
  const cachedir = join(dir, "cache")
  sh("ostree", [`--repo=${repo}`, "init", "--mode=bare"])

  const printed = strata(["compose", "tree", "--print-only", d.treefile1])
  t.equal(printed.status, 0, printed.stderr)
  const expanded = JSON.parse(printed.stdout) as Record<string, unknown>
  t.equal(expanded.ref, REF)
  t.same([...(expanded.packages as string[])].sort(), [...BASE_PACKAGES].sort(), "include + packages-x86_64 merged")
  t.equal(expanded["automatic-version-prefix"], "fixture", "scalar from the include")

  const dry = strata(["compose", "tree", "--dry-run", "--repo", repo, "--cachedir", cachedir, d.treefile1])
  t.equal(dry.status, 0, dry.stderr)
  t.match(dry.stdout, /^Installing 12 packages:\n/)
  for (const n of BASE_PACKAGES) t.match(dry.stdout, new RegExp(`\\n  ${n}-\\d`), `dry run lists ${n}`)
  t.same(readdirSync(join(repo, "refs", "heads")), [], "dry run: no ref")
  t.notOk(existsSync(join(repo, "extensions", "strata")), "dry run: no log")

  const commitid = join(dir, "commitid")
  const first = strata(["compose", "tree", "--repo", repo, "--cachedir", cachedir, "--write-commitid-to", commitid, "--add-metadata-string", "fixture.built-by=test", d.treefile1])
  t.equal(first.status, 0, first.stderr)
  const c1 = sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim()
  t.match(first.stdout, new RegExp(`Wrote commit: ${c1}`))
  t.equal(readFileSync(commitid, "utf8"), c1, "--write-commitid-to")
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)

  // the tree, as ostree sees it
  const ls = sh("ostree", [`--repo=${repo}`, "ls", "-R", REF])
  for (const p of [
    "/usr/bin/hello", "/usr/etc/motd", "/usr/lib/passwd", "/usr/lib/group", "/usr/share/rpm/rpmdb.sqlite",
    `/usr/lib/modules/${d.kver1}/vmlinuz`, `/usr/lib/modules/${d.kver1}/initramfs.img`, "/usr/lib/rpm/macros.d/macros.rpm-ostree",
    "/usr/lib/tmpfiles.d/rpm-ostree-1-autovar.conf", "/usr/share/fixture-postprocess", "/usr/share/fixture-postprocess-common",
  ]) t.match(ls, new RegExp(` ${p.replace(/[.]/g, "\\.")}\\n`), `${p} in the tree`)
  t.notMatch(ls, / \/etc\//, "no /etc: moved to /usr/etc")
  t.match(ls, /-00644 0 0 +\d+ \/usr\/share\/rpm\/rpmdb\.sqlite\n/, "the rpmdb is world-readable, as rpm writes it")
  t.match(ls, / \/tmp -> sysroot\/tmp\n/)
  t.match(ls, / \/home -> var\/home\n/)
  t.match(ls, / \/usr\/local -> \.\.\/var\/usrlocal\n/)
  t.match(ls, / \/usr\/lib\/sysimage\/rpm -> \.\.\/\.\.\/share\/rpm\n/)
  t.match(ls, / \/usr\/etc\/systemd\/system\/multi-user\.target\.wants\/fixture-hello\.service -> \/usr\/lib\/systemd\/system\/fixture-hello\.service\n/, "units")
  t.match(ls, / \/usr\/etc\/systemd\/system\/default\.target -> \/usr\/lib\/systemd\/system\/multi-user\.target\n/, "default-target")
  t.notMatch(ls, / \/usr\/etc\/machine-id\n/, "machineid-compat: false")
  t.equal(sh("ostree", [`--repo=${repo}`, "ls", REF, "/var"]).trim().split("\n").length, 1, "/var is empty")
  const cat = (p: string) => sh("ostree", [`--repo=${repo}`, "cat", REF, p])
  t.equal(cat("/usr/etc/motd"), readFileSync(join(d.compose1, "fixture-motd"), "utf8"), "add-files")
  t.equal(cat("/usr/lib/rpm/macros.d/macros.rpm-ostree"), "%_dbpath /usr/share/rpm\n")
  t.match(cat("/usr/etc/passwd"), /^root:x:0:0:/)
  t.notMatch(cat("/usr/etc/passwd"), /^bin:/m, "/etc/passwd keeps root only")
  t.match(cat("/usr/lib/passwd"), /^bin:/m)
  t.match(cat("/usr/lib/passwd"), /^scripted:/m, "scripted's %pre ran (useradd) and its user moved to /usr/lib/passwd")
  t.match(cat("/usr/etc/group"), /^wheel:/m, "etc-group-members stay in /etc/group")
  const autovar = cat("/usr/lib/tmpfiles.d/rpm-ostree-1-autovar.conf")
  t.match(autovar, /^L \/var\/lib\/rpm - - - - \.\.\/\.\.\/usr\/share\/rpm$/m)
  t.match(autovar, /^d \/var\/lib\/scripted 0\d{3} \S+ \S+ - -$/m)

  // metadata: rpm-ostree's keys
  t.equal(meta(repo, "version"), "'fixture'")
  t.match(meta(repo, "rpmostree.inputhash"), /^'[0-9a-f]{64}'$/)
  t.equal(meta(repo, "ostree.bootable"), "true")
  t.equal(meta(repo, "ostree.linux"), `'${d.kver1}'`)
  t.equal(meta(repo, "fixture.built-by"), "'test'")
  t.equal(meta(repo, "ostree.ref-binding"), `['${REF}']`)
  const pkglist = meta(repo, "rpmostree.rpmdb.pkglist")
  t.match(pkglist, /^\[\('busybox', '0', '1\.0', '1', 'x86_64'\), \('filesystem', /, "a(sssss), sorted, epoch as a string")
  t.equal(pkglist.match(/\('/g)?.length, 12)

  // rpm reads the rpmdb of a checkout
  const co = join(dir, "co")
  sh("ostree", [`--repo=${repo}`, "checkout", "-H", REF, co])
  const qa = sh("rpm", ["--root", co, "--dbpath", "/usr/share/rpm", "-qa", "--qf", "%{NAME}\\n"]).trim().split("\n").sort()
  t.same(qa, [...BASE_PACKAGES].sort(), "rpm -qa lists the base packages")
  t.equal(sh("rpm", ["--root", co, "--dbpath", "/usr/share/rpm", "-qf", "/usr/bin/hello", "--qf", "%{NAME}"]), "hello")

  // unchanged inputs: nothing written
  const before = objects(repo)
  const again = strata(["compose", "tree", "--repo", repo, "--cachedir", cachedir, "--add-metadata-string", "fixture.built-by=test", d.treefile1])
  t.equal(again.status, 0, again.stderr)
  t.equal(again.stdout.trim(), "No apparent changes since previous commit; use --force-nocache to override")
  t.equal(sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim(), c1, "ref unchanged")
  t.same(objects(repo), before, "no object written")
  t.same(readdirSync(join(repo, "tmp")).filter((n) => n.startsWith("strata-compose-")), [], "no work dir left")

  // compose/2: repo 2 has the version 2 packages → a child commit, version bumped
  // …twice at the same time: one composes, the other (waiting for the lock, or later) finds it done
  const both = await Promise.all([0, 1].map(() => strataAsync(["compose", "tree", "--repo", repo, "--cachedir", cachedir, d.treefile2])))
  for (const r of both) t.equal(r.status, 0, r.stderr)
  t.same(both.map((r) => /Wrote commit/.test(r.stdout)).sort(), [false, true], "one of two concurrent composes writes the commit")
  t.ok(both.some((r) => /No apparent changes/.test(r.stdout)), "the other says nothing changed")
  const c2 = sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim()
  t.not(c2, c1)
  t.equal(sh("ostree", [`--repo=${repo}`, "rev-parse", `${REF}^`]).trim(), c1, "parent is the previous commit")
  t.equal(meta(repo, "version"), "'fixture.1'", "automatic version bumped")
  t.equal(meta(repo, "ostree.linux"), `'${d.kver2}'`)
  t.match(meta(repo, "rpmostree.rpmdb.pkglist"), /\('hello', '0', '2\.0', '1', 'x86_64'\)/)
  // preserve-passwd: the previous users first (same ids), then the new setup's new ones
  const passwd2 = cat("/usr/lib/passwd")
  t.match(passwd2, /^scripted:x:901:901:/m)
  t.match(passwd2, /^fixtured:x:900:900:/m, "setup v2's new user added from its .rpmnew")
  t.ok(passwd2.indexOf("scripted:") < passwd2.indexOf("fixtured:"), "the previous commit's users were seeded before the install")
  t.notMatch(sh("ostree", [`--repo=${repo}`, "ls", "-R", REF, "/usr/etc"]), /rpmnew|passwd-|group-/, "no .rpmnew or backup files")
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)
  // ostree admin deploys the commit: kernel and initramfs found, /usr/etc merged into /etc
  const sysroot = sysrootTmp(t)
  sh("ostree", ["admin", "init-fs", sysroot])
  sh("ostree", ["admin", `--sysroot=${sysroot}`, "os-init", "fixture"])
  sh("ostree", [`--repo=${join(sysroot, "ostree", "repo")}`, "pull-local", repo, REF])
  sh("ostree", ["admin", `--sysroot=${sysroot}`, "deploy", "--os=fixture", REF])
  t.match(sh("ostree", ["admin", `--sysroot=${sysroot}`, "status"]), new RegExp(`fixture ${c2}\\.0\n\\s+Version: fixture\\.1`), "ostree admin status shows the deployment")
  const entries = readdirSync(join(sysroot, "boot", "loader", "entries"))
  t.equal(entries.length, 1)
  const entry = readFileSync(join(sysroot, "boot", "loader", "entries", entries[0]!), "utf8")
  t.match(entry, new RegExp(`^linux /ostree/fixture-[0-9a-f]{64}/vmlinuz-${d.kver2.replace(/[.]/g, "\\.")}$`, "m"))
  t.match(entry, /^initrd \/ostree\/fixture-[0-9a-f]{64}\/initramfs-/m)
  t.ok(existsSync(join(sysroot, "ostree", "deploy", "fixture", "deploy", `${c2}.0`, "etc", "motd")), "/etc of the deployment from /usr/etc")
  // --force-nocache composes again even so
  const forced = strata(["compose", "tree", "--repo", repo, "--cachedir", cachedir, "--force-nocache", d.treefile2])
  t.equal(forced.status, 0, forced.stderr)
  t.equal(meta(repo, "version"), "'fixture.2'")
})

t.test("JSON treefile with documentation: false, remove-files, remove-from-packages and readonly-executables", async (t) => {
  const d = await buildDistro()
  const dir = tmp(t, "strata-compose-")
  const repo = join(dir, "repo")
  sh("ostree", [`--repo=${repo}`, "init", "--mode=archive"])
  writeFileSync(join(dir, "fixture.repo"), readFileSync(join(d.compose1, "fixture.repo")))
  writeFileSync(join(dir, "post.sh"), "#!/usr/bin/sh\nset -e\necho from-script > /usr/share/from-postprocess-script\n")
  writeFileSync(join(dir, "t.json"), JSON.stringify({
    ref: "test/${basearch}/json",
    repos: ["fixture"],
    packages: ["filesystem setup busybox fixture-release", "hello", "fixture-docs"],
    documentation: false,
    "remove-files": ["usr/share/hello-v1-only"],
    "remove-from-packages": [["fixture-docs", "/usr/share/fixture-docs/.*"]],
    "readonly-executables": true,
    "postprocess-script": "post.sh",
    "machineid-compat": true,
  }))
  const workdir = join(dir, "work")
  const r = strata(["compose", "tree", "--repo", repo, "--cachedir", join(dir, "cache"), "--workdir", workdir, join(dir, "t.json")])
  t.equal(r.status, 0, r.stderr)
  t.notOk(existsSync(workdir), "--workdir removed once the ref moved")
  const ls = sh("ostree", [`--repo=${repo}`, "ls", "-R", "test/x86_64/json"])
  t.notMatch(ls, /hello-v1-only/, "remove-files")
  t.notMatch(ls, /\/usr\/share\/fixture-docs\/\S/, "remove-from-packages")
  t.notMatch(ls, /\/usr\/share\/doc\/\S+\/\S/, "no %doc files")
  t.match(ls, / \/usr\/share\/from-postprocess-script\n/, "postprocess-script ran")
  t.match(ls, /-00555 0 0 +\d+ \/usr\/bin\/hello\n/, "readonly-executables")
  t.match(ls, / \/usr\/etc\/machine-id\n/, "machineid-compat: true keeps an empty machine-id")
  const missing = (key: string) => spawnSync("ostree", [`--repo=${repo}`, "show", `--print-metadata-key=${key}`, "test/x86_64/json"]).status !== 0
  t.ok(missing("version"), "no automatic-version-prefix: no version")
  t.ok(missing("ostree.bootable"), "no kernel: not bootable")
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)
})
