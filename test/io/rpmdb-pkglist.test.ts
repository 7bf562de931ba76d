// The package list of an rpmdb against rpm's own query of the same database (the oracle).
import t from "tap"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { sh, tmp } from "../helpers/tmp.js"
import { rpmFixtures } from "./rpm-fixtures.js"
import { pkglistOfTree } from "../../src/io/rpm/rpmdb-pkglist.js"
import { pkgNevra, sortPkglist } from "../../src/formats/rpmostree/pkglist.js"

const fx = rpmFixtures()

t.test("pkglistOfTree lists what rpm -qa lists, sorted, gpg-pubkey left out", async (t) => {
  const root = join(tmp(t), "root")
  mkdirSync(root)
  sh("rpm", ["--root", root, "--dbpath", "/usr/share/rpm", "--initdb"])
  sh("sh", ["-c", `rpm --root '${root}' --dbpath /usr/share/rpm -i --nodeps --noscripts --justdb '${fx.basic}' '${fx.lib}' '${fx.tools}' 2>/dev/null`])
  sh("rpm", ["--root", root, "--dbpath", "/usr/share/rpm", "--import", fx.key])
  const list = pkglistOfTree(root)
  const rpmSays = sh("rpm", ["--root", root, "--dbpath", "/usr/share/rpm", "-qa", "--qf", "%{NAME}-%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}.%{ARCH}\\n"])
    .trim().split("\n").filter((l) => !l.startsWith("gpg-pubkey"))
  t.same(list.map(pkgNevra).sort(), rpmSays.map((l) => l.replace(/-0:/, "-")).sort())
  t.same(list, sortPkglist(list), "sorted")
  t.ok(list.some((p) => p.epoch !== "0"), "a package with an epoch keeps it")
  t.throws(() => pkglistOfTree(tmp(t)), { _tag: "RpmError", reason: "NotFound", message: /no rpmdb/ })
})
