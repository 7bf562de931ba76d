// db diff's merge-join, its three output formats and db list's patterns, on hand-made lists whose
// expected results follow rpm-ostree's code (rpmostree-package.c, rpmostree-util.cxx).
import t from "tap"
import { diffPkglists, downgraded, pkgdiffJson, renderDiffBlock, renderDiffLines, upgraded } from "../../src/formats/rpmostree/pkg-diff.js"
import { fnmatchRegExp, matchPackages } from "../../src/formats/rpmostree/pkg-match.js"
import { pkgEntry, pkgNevra, sortPkglist } from "../../src/formats/rpmostree/pkglist.js"

const P = (nevra: string) => {
  const m = /^(.+)-(?:(\d+):)?([^-]+)-([^-]+)\.([^.]+)$/.exec(nevra)!
  return pkgEntry({ name: m[1]!, epoch: m[2], version: m[3]!, release: m[4]!, arch: m[5]! })
}
const L = (...n: string[]) => sortPkglist(n.map(P))

const from = L("bash-5.1-1.x86_64", "glibc-2.38-1.x86_64", "glibc-2.38-1.i686", "kernel-6.1-1.x86_64", "oldpkg-1-1.noarch", "zlib-1.2-1.x86_64", "tool-1.0-1.noarch", "epo-1:1.0-1.noarch", "vim-9.0-1.x86_64")
const to = L("bash-5.2-1.x86_64", "glibc-2.37-1.x86_64", "glibc-2.37-1.i686", "kernel-6.1-1.x86_64", "newpkg-2-1.noarch", "zlib-1.2-1.x86_64", "tool-1.0-1.x86_64", "epo-9.0-1.noarch", "vim-9.0~rc1-1.x86_64")

t.test("merge-join: upgrades, downgrades by EVR (epoch wins, ~ sorts first), arch change of a single package, multilib pairs", async (t) => {
  const d = diffPkglists(from, to)
  t.same(d.removed.map(pkgNevra), ["oldpkg-1-1.noarch"])
  t.same(d.added.map(pkgNevra), ["newpkg-2-1.noarch"])
  t.same(upgraded(d).map((m) => `${pkgNevra(m.from)} -> ${pkgNevra(m.to)}`), ["bash-5.1-1.x86_64 -> bash-5.2-1.x86_64", "tool-1.0-1.noarch -> tool-1.0-1.x86_64"])
  t.same(downgraded(d).map((m) => `${pkgNevra(m.from)} -> ${pkgNevra(m.to)}`), [
    "epo-1:1.0-1.noarch -> epo-9.0-1.noarch", "glibc-2.38-1.i686 -> glibc-2.37-1.i686", "glibc-2.38-1.x86_64 -> glibc-2.37-1.x86_64", "vim-9.0-1.x86_64 -> vim-9.0~rc1-1.x86_64",
  ])
  t.same(diffPkglists(from, from), { removed: [], added: [], modified: [] }, "no change")
  // multilib: an arch only on one side is removed/added, not paired
  const m = diffPkglists(L("lib-1-1.i686", "lib-1-1.x86_64"), L("lib-1-1.x86_64"))
  t.same([m.removed.map(pkgNevra), m.added.length, m.modified.length], [["lib-1-1.i686"], 0, 0])
})

t.test("block format: sections only when non-empty, EVR without a 0 epoch", async (t) => {
  t.same(renderDiffBlock(diffPkglists(from, to)), [
    "Upgraded:", "  bash 5.1-1 -> 5.2-1", "  tool 1.0-1 -> 1.0-1",
    "Downgraded:", "  epo 1:1.0-1 -> 9.0-1", "  glibc 2.38-1 -> 2.37-1", "  glibc 2.38-1 -> 2.37-1", "  vim 9.0-1 -> 9.0~rc1-1",
    "Removed:", "  oldpkg-1-1.noarch",
    "Added:", "  newpkg-2-1.noarch",
  ])
  t.same(renderDiffBlock(diffPkglists(L("a-1-1.noarch"), L("a-1-1.noarch", "b-1-1.noarch"))), ["Added:", "  b-1-1.noarch"])
})

t.test("diff format: one walk in package order", async (t) => {
  t.same(renderDiffLines(diffPkglists(from, to)), [
    "!bash-5.1-1.x86_64", "=bash-5.2-1.x86_64",
    "!epo-1:1.0-1.noarch", "=epo-9.0-1.noarch",
    "!glibc-2.38-1.i686", "=glibc-2.37-1.i686",
    "!glibc-2.38-1.x86_64", "=glibc-2.37-1.x86_64",
    "+newpkg-2-1.noarch",
    "-oldpkg-1-1.noarch",
    "!tool-1.0-1.noarch", "=tool-1.0-1.x86_64",
    "!vim-9.0-1.x86_64", "=vim-9.0~rc1-1.x86_64",
  ])
})

t.test("json pkgdiff: (name, type, {PreviousPackage, NewPackage}) sorted by type then name", async (t) => {
  const j = pkgdiffJson(diffPkglists(L("a-1-1.noarch", "b-2-1.noarch", "c-1-1.noarch", "d-1-1.noarch"), L("b-1-1.noarch", "c-2-1.noarch", "d-1-1.noarch", "e-1-1.noarch")))
  t.same(j, [
    ["e", 0, { NewPackage: ["e", "1-1", "noarch"] }],
    ["a", 1, { PreviousPackage: ["a", "1-1", "noarch"] }],
    ["c", 2, { PreviousPackage: ["c", "1-1", "noarch"], NewPackage: ["c", "2-1", "noarch"] }],
    ["b", 3, { PreviousPackage: ["b", "2-1", "noarch"], NewPackage: ["b", "1-1", "noarch"] }],
  ])
})

t.test("patterns: fnmatch ignoring case on name, NEVRA, name.arch, name-version-release", async (t) => {
  const names = (pats: string[]) => matchPackages(from, pats).map(pkgNevra)
  t.same(names(["BASH"]), ["bash-5.1-1.x86_64"])
  t.same(names(["glibc.i686"]), ["glibc-2.38-1.i686"])
  t.same(names(["glibc-2.38-1"]), ["glibc-2.38-1.i686", "glibc-2.38-1.x86_64"])
  t.same(names(["epo-1:1.0-1.noarch"]), ["epo-1:1.0-1.noarch"])
  t.same(names(["z*", "ol?pkg"]), ["oldpkg-1-1.noarch", "zlib-1.2-1.x86_64"])
  t.same(names(["[bt]*"]), ["bash-5.1-1.x86_64", "tool-1.0-1.noarch"])
  t.same(names(["[!a-t]*"]), ["vim-9.0-1.x86_64", "zlib-1.2-1.x86_64"])
  t.same(names(["nothing"]), [])
  t.same(names([]).length, from.length, "no pattern: everything")
  t.ok(fnmatchRegExp("a[b").test("a[b"), "an unclosed bracket is literal")
  t.ok(fnmatchRegExp("a\\*").test("a*") && !fnmatchRegExp("a\\*").test("ab"), "backslash quotes")
})
