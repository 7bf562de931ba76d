/**
 * Bad input to `strata compose tree`: one clear error line on stderr, a non-zero exit code, and
 * the repository untouched (ref, objects; no work dir left). Cases: a malformed treefile (file,
 * line and field named), an unknown package, an unresolvable request, an unknown repo id, a
 * download whose checksum does not match (a truncated .rpm in the served repository), a failing
 * %post scriptlet and a failing postprocess script (their output in the error), not a repository.
 */
import t from "tap"
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { buildDistro } from "../helpers/distro.js"
import { sh, strata, tmp } from "../helpers/tmp.js"

const REF = "strata/fixture/x86_64/base"

const objects = (repo: string): string[] =>
  readdirSync(join(repo, "objects")).flatMap((d) => readdirSync(join(repo, "objects", d)).map((n) => `${d}${n}`)).sort()
const refs = (repo: string): string => sh("ostree", [`--repo=${repo}`, "refs"])

t.test("bad input: one line, non-zero exit, repository untouched", async (t) => {
  const d = await buildDistro()
  const dir = tmp(t, "strata-compose-bad-")
  const repo = join(dir, "repo")
  const cachedir = join(dir, "cache")
  sh("ostree", [`--repo=${repo}`, "init", "--mode=bare"])
  const base = strata(["compose", "tree", "--repo", repo, "--cachedir", cachedir, d.treefile1])
  t.equal(base.status, 0, base.stderr)
  const before = { refs: refs(repo), objects: objects(repo) }
  const c1 = sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim()

  // a compose directory of our own: the fixture's .repo, and treefiles written per case
  const cdir = join(dir, "c")
  mkdirSync(cdir)
  writeFileSync(join(cdir, "fixture.repo"), readFileSync(join(d.compose1, "fixture.repo")))
  writeFileSync(join(cdir, "fixture-motd"), "motd\n")
  const treefile = (name: string, body: string): string => {
    writeFileSync(join(cdir, name), body)
    return join(cdir, name)
  }
  const untouched = (label: string): void => {
    t.equal(refs(repo), before.refs, `${label}: refs unchanged`)
    t.equal(sh("ostree", [`--repo=${repo}`, "rev-parse", REF]).trim(), c1, `${label}: ref unchanged`)
    t.same(objects(repo), before.objects, `${label}: no object written`)
    const left = readdirSync(join(repo, "tmp")).filter((n) => n.startsWith("strata-compose-") || n.startsWith("staging-"))
    t.same(left, [], `${label}: no work dir left`)
  }
  const fails = (label: string, tf: string, exit: number, message: RegExp, extra: string[] = []): void => {
    const r = strata(["compose", "tree", "--repo", repo, "--cachedir", cachedir, ...extra, tf])
    t.equal(r.status, exit, `${label}: exit ${exit} (${r.stderr.trim()})`)
    t.equal(r.stdout, "", `${label}: nothing on stdout`)
    t.equal(r.stderr.trim().split("\n").length, 1, `${label}: one line`)
    t.match(r.stderr, message, `${label}: the message`)
    untouched(label)
  }
  const packages = "ref: strata/fixture/${basearch}/base\nrepos: [fixture]\npackages:\n"

  fails("malformed treefile", treefile("bad.yaml", "ref: x\nrepos: [fixture]\n\npackages:\n  hello: 1\n"), 2, new RegExp(`^strata: ${join(cdir, "bad.yaml").replace(/[.]/g, "\\.")}:5: packages: expected a list of strings, got a map\n$`))
  fails("unknown field", treefile("unknown.yaml", "ref: x\nrepos: [fixture]\npackges: [hello]\n"), 2, /unknown\.yaml:3: packges: unknown field$/m)
  fails("malformed include", treefile("inc.yaml", "ref: x\ninclude: inc-bad.yaml\n") && (writeFileSync(join(cdir, "inc-bad.yaml"), "recommends: maybe\n"), join(cdir, "inc.yaml")), 2, /inc-bad\.yaml:1: recommends: expected a boolean, got a string \("maybe"\)$/m)
  fails("unknown package", treefile("unknown-pkg.yaml", `${packages}  - hello\n  - no-such-package\n`), 3, /^strata: compose resolve: Packages not found: no-such-package\n$/)
  fails("unresolvable request", treefile("conflict.yaml", `${packages}  - filesystem setup busybox\n  - hello\n  - conflicting\n`), 2, /^strata: compose resolve: Could not depsolve transaction; 1 problem detected: .*conflict/i)
  fails("unknown repo", treefile("repo.yaml", "ref: x\nrepos: [nope]\npackages: [hello]\n"), 3, /repo not found in the \*\.repo files next to the treefile: nope/)
  fails("failing %post", treefile("failing.yaml", `${packages}  - filesystem setup busybox\n  - failing-script\n`), 2, /^strata: compose assemble: %post scriptlet of failing-script-1\.0-1\.noarch failed: .*failing-script: this %post fails on purpose/)
  fails("failing postprocess", treefile("post.yaml", `${packages}  - filesystem setup busybox\npostprocess:\n  - |\n    #!/usr/bin/sh\n    echo postprocess says no >&2\n    exit 3\n`), 2, /postprocess script 1 failed \(exit 3\): postprocess says no/)
  fails("missing add-files source", treefile("addfiles.yaml", `${packages}  - filesystem setup busybox\nadd-files:\n  - [no-such-file, /etc/x]\n`), 3, /no-such-file/)

  // a served package truncated: the download fails its checksum, the cache keeps nothing of it
  const served = join(dir, "served")
  cpSync(d.repo1, served, { recursive: true })
  const hello = readdirSync(served).find((n) => n.startsWith("hello-"))!
  truncateSync(join(served, hello), Math.floor(statSync(join(served, hello)).size / 2))
  const sdir = join(dir, "s")
  mkdirSync(sdir)
  writeFileSync(join(sdir, "fixture.repo"), `[fixture]\nname=served copy\nbaseurl=file://${served}\nenabled=1\ngpgcheck=0\nmetadata_expire=never\n`)
  writeFileSync(join(sdir, "t.yaml"), `${packages}  - filesystem setup busybox\n  - hello\n`)
  const fresh = join(dir, "fresh-cache")
  fails("truncated download", join(sdir, "t.yaml"), 4, /checksum mismatch/, ["--cachedir", fresh])
  t.notOk(readdirSync(join(fresh, "packages")).some((n) => n.includes("hello-") ), "the bad download is not in the cache")

  // another compose holds the repository's lock: wait (saying so), then refuse with exit 6
  const { lockFile } = await import("../../src/io/repo/syscalls.js")
  const held = await lockFile(join(repo, "extensions", "strata", "lock"), { exclusive: true, waitSec: 0, op: "test" })
  try {
    const r = strata(["compose", "tree", "--repo", repo, "--cachedir", cachedir, "--force-nocache", d.treefile1], { env: { STRATA_LOCK_TIMEOUT: "1" } })
    t.equal(r.status, 6, `locked: exit 6 (${r.stderr.trim()})`)
    t.match(r.stderr, /^strata: waiting for the repository's compose lock .*giving up after 1s\nstrata: .*another compose holds the repository's lock.*\n$/)
    untouched("locked")
  } finally {
    await held.release()
  }

  // not a repository
  const nr = strata(["compose", "tree", "--repo", join(dir, "nope"), d.treefile1])
  t.not(nr.status, 0)
  t.equal(nr.stderr.trim().split("\n").length, 1)
  t.match(nr.stderr, /not an OSTree repository/)
  t.notOk(existsSync(join(dir, "nope")), "nothing created")
  t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/)
})
