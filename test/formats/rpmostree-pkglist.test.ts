// rpmostree.rpmdb.pkglist: the codec against ostree's own GVariant reader/writer (the oracle),
// rpm-ostree's sort order (dnf_package_cmp) and display forms (rpmostree-package.c).
import t from "tap"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { sh, tmp } from "../helpers/tmp.js"
import { commitTree } from "../../src/io/repo/commit.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { loadCommit } from "../../src/io/repo/object-read.js"
import {
  PKGLIST_KEY, comparePkg, parseNevra, parsePkglist, pkgEntry, pkgEvr, pkgNevra, pkglistFromMetadata, pkglistFromVariant,
  pkglistVariant, serializePkglist, sortPkglist,
} from "../../src/formats/rpmostree/pkglist.js"
import { variant } from "../../src/formats/gvariant/index.js"

const P = (name: string, epoch: string, version: string, release: string, arch = "x86_64") => pkgEntry({ name, epoch, version, release, arch })

t.test("EVR and NEVRA drop a 0 epoch, keep others", async (t) => {
  t.equal(pkgEvr(P("bash", "0", "5.2.26", "3.fc40")), "5.2.26-3.fc40")
  t.equal(pkgNevra(P("bash", "0", "5.2.26", "3.fc40")), "bash-5.2.26-3.fc40.x86_64")
  t.equal(pkgNevra(P("shadow-utils", "2", "4.15.1", "1.fc40")), "shadow-utils-2:4.15.1-1.fc40.x86_64")
  t.equal(pkgEntry({ name: "a", version: "1", release: "1", arch: "noarch" }).epoch, "0", "a missing epoch is 0")
  t.equal(pkgEntry({ name: "a", epoch: 3, version: "1", release: "1", arch: "noarch" }).epoch, "3")
})

t.test("parseNevra inverts pkgNevra, hy_split_nevra style", async (t) => {
  for (const p of [P("bash", "0", "5.2.26", "3.fc40"), P("shadow-utils", "2", "4.15.1", "1.fc40"), P("python3-foo-bar", "0", "1.0~rc1", "0.1.git", "noarch"), P("a-1-b", "10", "2^g", "3")])
    t.same(parseNevra(pkgNevra(p)), p, pkgNevra(p))
  for (const bad of ["bash", "bash-1.x86_64", "bash-1-2", "-1-2.x86_64", "b-x:1-2.noarch"]) t.throws(() => parseNevra(bad), { _tag: "PkglistError", message: /rpmostree pkglist: / }, bad)
})

t.test("sorted like dnf_package_cmp: name bytes, then EVR by rpmvercmp, then arch", async (t) => {
  const list = [
    P("zlib", "0", "1.3", "1"), P("bash", "0", "5.10", "1"), P("bash", "0", "5.9", "1"), P("Zed", "0", "1", "1"),
    P("glibc", "0", "2.39", "1", "x86_64"), P("glibc", "0", "2.39", "1", "i686"), P("epochy", "1", "0.1", "1"), P("epochy", "0", "9.9", "1"),
    P("tilde", "0", "1.0~rc1", "1"), P("tilde", "0", "1.0", "1"),
  ]
  t.same(sortPkglist(list).map(pkgNevra), [
    "Zed-1-1.x86_64", // uppercase sorts first in byte order
    "bash-5.9-1.x86_64", "bash-5.10-1.x86_64", // rpmvercmp, not string order
    "epochy-9.9-1.x86_64", "epochy-1:0.1-1.x86_64",
    "glibc-2.39-1.i686", "glibc-2.39-1.x86_64",
    "tilde-1.0~rc1-1.x86_64", "tilde-1.0-1.x86_64",
    "zlib-1.3-1.x86_64",
  ])
  t.equal(comparePkg(P("a", "0", "1", "1"), P("a", "", "1", "1")), 0, "epoch 0 equals no epoch")
})

t.test("round trip through commit metadata; ostree reads what we write and we read what ostree writes", async (t) => {
  const dir = tmp(t)
  const repoPath = join(dir, "repo")
  sh("ostree", ["init", `--repo=${repoPath}`, "--mode=bare-user"])
  const tree = join(dir, "tree")
  mkdirSync(join(tree, "usr"), { recursive: true })
  writeFileSync(join(tree, "usr/f"), "x")
  const pkgs = [P("zlib", "0", "1.3", "1.fc40"), P("bash", "0", "5.2.26", "3.fc40"), P("shadow-utils", "2", "4.15.1", "1.fc40", "x86_64")]
  const repo = await openRepo(repoPath)
  const { commit } = await commitTree(repo, { branch: "b", trees: [{ dir: tree }], metadata: [[PKGLIST_KEY, pkglistVariant(pkgs)]] })
  const text = sh("ostree", [`--repo=${repoPath}`, "show", "--print-metadata-key", PKGLIST_KEY, commit]).trim()
  t.equal(text, "[('bash', '0', '5.2.26', '3.fc40', 'x86_64'), ('shadow-utils', '2', '4.15.1', '1.fc40', 'x86_64'), ('zlib', '0', '1.3', '1.fc40', 'x86_64')]", "ostree prints the sorted a(sssss)")
  t.same(pkglistFromMetadata((await loadCommit(repo, commit)).metadata), sortPkglist(pkgs))

  const ostreeCommit = sh("ostree", [`--repo=${repoPath}`, "commit", "-b", "c", `--tree=dir=${tree}`, `--add-metadata=${PKGLIST_KEY}=[('a', '1', '2', '3', 'noarch'), ('b', '0', '1.0', '1', 'x86_64')]`]).trim()
  t.same(pkglistFromMetadata((await loadCommit(repo, ostreeCommit)).metadata), [P("a", "1", "2", "3", "noarch"), P("b", "0", "1.0", "1")])
  t.equal(pkglistFromMetadata([]), undefined, "no key: undefined (read the rpmdb instead)")
})

t.test("bytes round trip; malformed values refused", async (t) => {
  const pkgs = sortPkglist([P("a", "0", "1", "1"), P("b", "7", "2", "2", "noarch")])
  t.same(parsePkglist(serializePkglist(pkgs)), pkgs)
  t.same(parsePkglist(serializePkglist([])), [])
  t.throws(() => pkglistFromVariant(variant("a(stsss)", [])), { _tag: "PkglistError", reason: "Corrupt", message: /expected "a\(sssss\)"/ }, "wrong type")
  t.throws(() => pkglistFromVariant(variant("a(sssss)", [["a", "x", "1", "1", "noarch"]])), { _tag: "PkglistError", message: /epoch "x"/ }, "non-numeric epoch")
  t.throws(() => parsePkglist(new Uint8Array([1, 2, 3])), { _tag: "PkglistError", message: /rpmostree pkglist: / })
})
