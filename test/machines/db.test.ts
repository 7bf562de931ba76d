// strata db diff / db list on commits built in the test: two with rpmostree.rpmdb.pkglist
// metadata, two with only an rpmdb written by rpm itself (the oracle for the package sets),
// deployed to a sysroot that is not booted (the default deployment stands in for the booted one).
import t, { type Test } from "tap"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { sh, strata, tmp } from "../helpers/tmp.js"
import { makeOsTree, sysrootTmp } from "../helpers/sysroot.js"
import { rpmFixtures } from "../io/rpm-fixtures.js"
import { commitTree } from "../../src/io/repo/commit.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { variant } from "../../src/formats/gvariant/index.js"
import { PKGLIST_KEY, pkgEntry, pkglistVariant } from "../../src/formats/rpmostree/pkglist.js"
import { dbDiff, dbList, pickDeployments } from "../../src/machines/db.js"

const fx = rpmFixtures()
const P = (name: string, version: string, release = "1", arch = "x86_64", epoch?: string) => pkgEntry({ name, epoch, version, release, arch })

const ok = (t: Pick<Test, "equal">, r: { status: number; stderr: string }, what: string) => t.equal(r.status, 0, `${what} ${r.status ? r.stderr : ""}`)

t.test("db diff and db list", async (t) => {
  const dir = tmp(t)
  const S = join(sysrootTmp(t), "sysroot")
  ok(t, strata(["admin", "init-fs", S]), "init-fs")
  ok(t, strata(["admin", "os-init", "testos", "--sysroot", S]), "os-init")
  const repoPath = join(S, "ostree/repo")
  const repo = await openRepo(repoPath)
  const commit = async (branch: string, version: string, o: { pkgs?: ReturnType<typeof P>[]; rpms?: string[] }) => {
    const tree = join(dir, branch.replace(/\//g, "_"))
    makeOsTree(tree, { kernel: `kernel-${version}\n` })
    if (o.rpms) {
      mkdirSync(join(tree, "usr/share/rpm"), { recursive: true })
      sh("rpm", ["--root", tree, "--dbpath", "/usr/share/rpm", "--initdb"])
      sh("sh", ["-c", `rpm --root '${tree}' --dbpath /usr/share/rpm -i --nodeps --noscripts --justdb ${o.rpms.map((r) => `'${r}'`).join(" ")} 2>/dev/null`])
    }
    const metadata: Array<[string, ReturnType<typeof variant>]> = [["version", variant("s", version)]]
    if (o.pkgs) metadata.push([PKGLIST_KEY, pkglistVariant(o.pkgs)])
    return (await commitTree(repo, { branch, trees: [{ dir: tree }], metadata, timestamp: 1700000000n })).commit
  }
  const v1 = await commit("testos/v1", "1", { pkgs: [P("bash", "5.1"), P("glibc", "2.38"), P("oldpkg", "1", "1", "noarch"), P("zlib", "1.2")] })
  const v2 = await commit("testos/v2", "2", { pkgs: [P("bash", "5.2"), P("glibc", "2.37"), P("newpkg", "2", "1", "noarch"), P("zlib", "1.2")] })
  const r1 = await commit("testos/r1", "r1", { rpms: [fx.basic, fx.lib] })
  const r2 = await commit("testos/r2", "r2", { rpms: [fx.lib, fx.tools] })

  await t.test("two revisions, block format (the default)", async (t) => {
    const r = strata(["db", "diff", "testos/v1", "testos/v2", "--repo", repoPath])
    t.equal(r.status, 0, r.stderr)
    t.equal(r.stdout, [
      `ostree diff commit from: testos/v1 (${v1})`,
      `ostree diff commit to:   testos/v2 (${v2})`,
      "Upgraded:", "  bash 5.1-1 -> 5.2-1",
      "Downgraded:", "  glibc 2.38-1 -> 2.37-1",
      "Removed:", "  oldpkg-1-1.noarch",
      "Added:", "  newpkg-2-1.noarch", "",
    ].join("\n"))
    t.equal(strata(["db", "diff", v1, v2, "--repo", repoPath]).stdout.split("\n")[0], `ostree diff commit from: ${v1}`, "a checksum is not repeated")
  })

  await t.test("diff and json formats", async (t) => {
    const d = strata(["db", "diff", "testos/v1", "testos/v2", "--repo", repoPath, "--format=diff"])
    t.same(d.stdout.trim().split("\n").slice(2), ["!bash-5.1-1.x86_64", "=bash-5.2-1.x86_64", "!glibc-2.38-1.x86_64", "=glibc-2.37-1.x86_64", "+newpkg-2-1.noarch", "-oldpkg-1-1.noarch"])
    const j = JSON.parse(strata(["db", "diff", "testos/v1", "testos/v2", "--repo", repoPath, "--format", "json"]).stdout)
    t.same(j, {
      "ostree-commit-from": v1,
      "ostree-commit-to": v2,
      pkgdiff: [
        ["newpkg", 0, { NewPackage: ["newpkg", "2-1", "noarch"] }],
        ["oldpkg", 1, { PreviousPackage: ["oldpkg", "1-1", "noarch"] }],
        ["bash", 2, { PreviousPackage: ["bash", "5.1-1", "x86_64"], NewPackage: ["bash", "5.2-1", "x86_64"] }],
        ["glibc", 3, { PreviousPackage: ["glibc", "2.38-1", "x86_64"], NewPackage: ["glibc", "2.37-1", "x86_64"] }],
      ],
      advisories: [],
    })
    const bad = strata(["db", "diff", "testos/v1", "testos/v2", "--repo", repoPath, "--format=xml"])
    t.equal(bad.status, 2)
    t.match(bad.stderr, /format argument is invalid, pick one of: diff, block, json/)
    t.equal(strata(["db", "diff", "a", "b", "c", "--repo", repoPath]).status, 2, "at most two revisions")
    const missing = strata(["db", "diff", "testos/v1", "nope", "--repo", repoPath])
    t.equal(missing.status, 3, missing.stderr)
  })

  await t.test("commits without pkglist metadata: the rpmdb read out of the commit", async (t) => {
    const rpmNames = (rpms: string[]) => rpms.map((r) => sh("rpm", ["-qp", "--qf", "%{NAME}-%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}.%{ARCH}", r]))
    const l = strata(["db", "list", "testos/r1", "--repo", repoPath])
    t.equal(l.status, 0, l.stderr)
    t.same(l.stdout.trim().split("\n"), [`ostree commit: testos/r1 (${r1})`, ...rpmNames([fx.basic, fx.lib]).sort().map((n) => ` ${n}`)])
    const r = await dbDiff({ repo: repoPath, revs: ["testos/r1", "testos/r2"] })
    t.same(r.diff.removed.map((p) => p.name), ["strata-basic"])
    t.same(r.diff.added.map((p) => p.name), ["strata-tools"])
    t.same(r.diff.modified, [])
    const mixed = await dbDiff({ repo: repoPath, revs: ["testos/v1", "testos/r1"] })
    t.equal(mixed.diff.removed.length, 4, "metadata list against an rpmdb list")
    const none = await commit("testos/none", "0", {})
    const e = strata(["db", "list", none, "--repo", repoPath])
    t.equal(e.status, 3)
    t.match(e.stderr, /no package list: no rpmostree.rpmdb.pkglist metadata and no rpmdb/)
  })

  await t.test("db list: several revisions, then patterns", async (t) => {
    const r = await dbList({ repo: repoPath, args: ["testos/v1", "testos/v2", "B*", "zlib.x86_64"] })
    t.same(r.lists.map((l) => [l.target.desc, l.packages.map((p) => p.name)]), [["testos/v1", ["bash", "zlib"]], ["testos/v2", ["bash", "zlib"]]])
    t.same(r.patterns, ["B*", "zlib.x86_64"])
  })

  await t.test("deployments: an unbooted sysroot compares the previous deployment with the default one, and says so", async (t) => {
    ok(t, strata(["admin", "deploy", "--os=testos", "testos/v1", "--sysroot", S]), "deploy v1")
    const one = strata(["db", "diff", "--sysroot", S])
    t.equal(one.status, 3)
    t.match(one.stderr, /no pending or rollback deployment to diff against/)
    ok(t, strata(["admin", "deploy", "--os=testos", "testos/v2", "--sysroot", S]), "deploy v2")
    const r = strata(["db", "diff", "--sysroot", S])
    t.equal(r.status, 0, r.stderr)
    t.match(r.stderr, /note: the sysroot is not booted: the default deployment \(index 0\) stands in for the booted one/)
    t.same(r.stdout.split("\n").slice(0, 4), [`ostree diff commit from: previous deployment (${v1})`, `ostree diff commit to:   default deployment (${v2})`, "Upgraded:", "  bash 5.1-1 -> 5.2-1"])
    const against = strata(["db", "diff", "testos/r2", "--sysroot", S])
    t.equal(against.stdout.split("\n")[0], `ostree diff commit from: default deployment (${v2})`, "one REV: the (default) deployment vs REV")
    t.equal(against.stdout.split("\n")[1], `ostree diff commit to:   testos/r2 (${r2})`)
    const list = strata(["db", "list", "glibc", "--sysroot", S])
    t.equal(list.stdout, `ostree commit: default deployment (${v2})\n glibc-2.37-1.x86_64\n`, "no REV: the default deployment; the first non-commit starts the patterns")

    // a client layer on v2: --base compares the bases (its parent), not the layer
    const tree = join(dir, "layered")
    makeOsTree(tree)
    const layered = (await commitTree(repo, {
      branch: "testos/layered", parent: v2, trees: [{ dir: tree }], timestamp: 1700000000n,
      metadata: [["rpmostree.clientlayer", variant("b", true)], [PKGLIST_KEY, pkglistVariant([P("bash", "5.2"), P("glibc", "2.37"), P("layered", "1", "1", "noarch"), P("newpkg", "2", "1", "noarch"), P("zlib", "1.2")])]],
    })).commit
    ok(t, strata(["admin", "deploy", "--os=testos", "testos/layered", "--sysroot", S]), "deploy the layer")
    const lay = strata(["db", "diff", "--sysroot", S])
    t.same(lay.stdout.split("\n"), [`ostree diff commit from: previous deployment (${v2})`, `ostree diff commit to:   default deployment (${layered})`, "Added:", "  layered-1-1.noarch", ""])
    const base = strata(["db", "diff", "--base", "--sysroot", S])
    t.same(base.stdout.split("\n"), [`ostree diff commit from: previous deployment (${v2})`, `ostree diff commit to:   default deployment (${v2})`, ""], "--base: both bases are v2")
  })
})

t.test("pending and rollback around the booted deployment, per stateroot (ostree_sysroot_query_deployments_for)", async (t) => {
  const d = (id: string, stateroot = "a") => ({ id, stateroot })
  const list = [d("staged"), d("other", "b"), d("booted"), d("old"), d("older")]
  const r = pickDeployments(list, 2)
  t.same([r.booted?.id, r.pending?.id, r.rollback?.id, r.standIn], ["booted", "staged", "old", false])
  const noPending = pickDeployments([d("booted"), d("old")], 0)
  t.same([noPending.pending, noPending.rollback?.id], [undefined, "old"])
  const unbooted = pickDeployments([d("x", "b"), d("y"), d("z", "b")], undefined)
  t.same([unbooted.booted?.id, unbooted.rollback?.id, unbooted.standIn], ["x", "z", true])
  t.same(pickDeployments([], undefined), { standIn: true })
})
