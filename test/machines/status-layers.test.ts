// strata status on hand-built layered deployments: a client-layer commit (rpm-ostree's metadata
// keys, parent = base) deployed with an origin that has [packages]/[overrides]/[rpmostree], and a
// plain deployment whose origin requests packages that no layer provides (inactive requests).
import t from "tap"
import { join } from "node:path"
import { strata } from "../helpers/tmp.js"
import { makeOsTree, sysrootTmp } from "../helpers/sysroot.js"
import { commitTree } from "../../src/io/repo/commit.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { variant, type Variant } from "../../src/formats/gvariant/index.js"
import { PKGLIST_KEY, pkgEntry, pkglistVariant } from "../../src/formats/rpmostree/pkglist.js"
import { originForRefspec } from "../../src/io/sysroot/origin.js"
import { emptyLayerState, withLayerState } from "../../src/io/sysroot/origin-layers.js"
import { deployTransaction, planDeploy, runSysrootTransaction } from "../../src/machines/index.js"

const sstsss = (name: string, epoch: bigint, version: string, release: string, arch = "x86_64"): Variant =>
  variant("(sstsss)", [`${name}-${epoch ? `${epoch}:` : ""}${version}-${release}.${arch}`, name, epoch, version, release, arch])
const SHA = "a".repeat(64)

t.test("status shows base vs layer, requests and overrides like rpm-ostree", async (t) => {
  const dir = sysrootTmp(t)
  const S = join(dir, "sysroot")
  for (const a of [["admin", "init-fs", S], ["admin", "os-init", "testos", "--sysroot", S]]) t.equal(strata(a).status, 0)
  const repo = await openRepo(join(S, "ostree/repo"))
  const tree = join(dir, "tree")
  makeOsTree(tree)
  const base = (await commitTree(repo, {
    branch: "testos/base", trees: [{ dir: tree }], timestamp: 1700000000n,
    metadata: [["version", variant("s", "41.1")], [PKGLIST_KEY, pkglistVariant([pkgEntry({ name: "bash", version: "5.1", release: "1", arch: "x86_64" })])], ["ostree.source-title", variant("s", "base")]],
  })).commit
  const layered = (await commitTree(repo, {
    branch: "testos/layered", parent: base, trees: [{ dir: tree }], timestamp: 1700003600n,
    metadata: [
      ["version", variant("s", "41.1")],
      ["rpmostree.clientlayer", variant("b", true)],
      ["rpmostree.clientlayer_version", variant("u", 6)],
      ["rpmostree.packages", variant("as", ["foo", "bar baz"])],
      ["rpmostree.modules", variant("as", [])],
      ["rpmostree.removed-base-packages", variant("av", [sstsss("oldpkg", 0n, "1.0", "1"), sstsss("zsh", 0n, "1.0", "1"), sstsss("vim", 2n, "9.0", "3")])],
      ["rpmostree.replaced-base-packages", variant("a(vv)", [[sstsss("bash", 0n, "5.2", "1"), sstsss("bash", 0n, "5.1", "1")]])],
      ["rpmostree.replaced-base-remote-packages", variant("a{sv}", [["repo=updates", variant("a(vv)", [[sstsss("glibc", 0n, "2.39", "1"), sstsss("glibc", 0n, "2.38", "1")]])]])],
      [PKGLIST_KEY, pkglistVariant([pkgEntry({ name: "bash", version: "5.2", release: "1", arch: "x86_64" })])],
    ],
  })).commit
  const origin = withLayerState(originForRefspec("testos/base"), {
    ...emptyLayerState,
    requested: ["foo", "bar baz", "dormant"],
    requestedLocal: [{ sha256: SHA, nevra: "local-1.0-1.noarch" }],
    remove: ["oldpkg", "zsh", "vim", "notinbase"],
    replaceLocal: [{ sha256: SHA, nevra: "bash-5.2-1.x86_64" }],
    replace: [{ repo: "updates", packages: ["glibc", "gone"] }],
    regenerateInitramfs: true,
    initramfsArgs: ["--add=foo", "-I /etc/x y"],
    initramfsEtc: ["/etc/crypttab"],
  })
  t.match(origin, /baserefspec=testos\/base/)
  await runSysrootTransaction({ sysroot: S, definition: deployTransaction, plan: planDeploy({ stateroot: "testos", refspec: "testos/base", origin: originForRefspec("testos/base") + "\n[packages]\nrequested=plain;\n" }) })
  await runSysrootTransaction({ sysroot: S, definition: deployTransaction, plan: planDeploy({ stateroot: "testos", refspec: layered, origin }) })

  const text = strata(["status", "--sysroot", S])
  t.equal(text.status, 0, text.stderr)
  const [first, second] = text.stdout.split("\n\n")
  t.equal(first, [
    "State: idle",
    "Deployments:",
    "  testos/base",
    "                  Version: 41.1 (2023-11-14T22:13:20Z)",
    `               BaseCommit: ${base}`,
    "      RemovedBasePackages: oldpkg zsh 1.0-1 vim 2:9.0-3",
    "     ReplacedBasePackages: bash 5.1-1 -> 5.2-1",
    "          RemoteOverrides: repo=updates",
    "                           └─ glibc 2.38-1 -> 2.39-1",
    "          LayeredPackages: 'bar baz' foo",
    "            LocalPackages: local-1.0-1.noarch",
    "                Initramfs: --add=foo '-I /etc/x y' ",
    "             InitramfsEtc: /etc/crypttab",
  ].join("\n"))
  t.equal(second, ["  testos/base", "                  Version: 41.1 (2023-11-14T22:13:20Z)", `                   Commit: ${base}`, ""].join("\n"), "a plain deployment: Commit, no layering lines (its request is inactive)")
  t.equal(strata(["status", "--sysroot", S]).stdout, text.stdout, "the cached fast path shows the same")

  const v = strata(["status", "-v", "--sysroot", S]).stdout
  t.match(v, `BaseCommit: ${base}\n                   Commit: ${layered}\n`, "-v: the layer's own commit too")
  t.match(v, "     InactiveBaseRemovals: notinbase\n")
  t.match(v, "  InactiveRemoteOverrides: repo=updates\n                           └─ gone\n")
  t.match(v, "         InactiveRequests: dormant\n")
  t.match(v.split("\n\n")[1]!, "         InactiveRequests: plain\n")
  t.notMatch(v, /InactiveBaseReplacements/, "the local override is active")

  const json = JSON.parse(strata(["status", "--json", "--sysroot", S]).stdout) as { deployments: Array<Record<string, unknown>> }
  const [d0, d1] = json.deployments
  t.match(d0, {
    checksum: layered,
    origin: "testos/base",
    "base-checksum": base,
    "base-version": "41.1",
    "base-timestamp": 1700000000,
    version: "41.1",
    timestamp: 1700003600,
    "requested-packages": ["bar baz", "dormant", "foo"],
    "requested-local-packages": ["local-1.0-1.noarch"],
    "requested-base-removals": ["notinbase", "oldpkg", "vim", "zsh"],
    "requested-base-local-replacements": ["bash-5.2-1.x86_64"],
    "requested-base-remote-replacements": [["repo=updates", ["glibc", "gone"]]],
    "regenerate-initramfs": true,
    "initramfs-args": ["--add=foo", "-I /etc/x y"],
    "initramfs-etc": ["/etc/crypttab"],
    packages: ["foo", "bar baz"],
    "base-removals": [["oldpkg-1.0-1.x86_64", "oldpkg", 0, "1.0", "1", "x86_64"], ["zsh-1.0-1.x86_64", "zsh", 0, "1.0", "1", "x86_64"], ["vim-2:9.0-3.x86_64", "vim", 2, "9.0", "3", "x86_64"]],
    "base-local-replacements": [[["bash-5.2-1.x86_64", "bash", 0, "5.2", "1", "x86_64"], ["bash-5.1-1.x86_64", "bash", 0, "5.1", "1", "x86_64"]]],
    "base-remote-replacements": { "repo=updates": [[["glibc-2.39-1.x86_64", "glibc", 0, "2.39", "1", "x86_64"], ["glibc-2.38-1.x86_64", "glibc", 0, "2.38", "1", "x86_64"]]] },
  })
  t.same(d0!["base-commit-meta"], { version: "41.1", "ostree.source-title": "base", "ostree.ref-binding": ["testos/base"] }, "the base's metadata, pkglist filtered out")
  t.same(Object.keys(d0!["layered-commit-meta"] as object).sort(), ["ostree.ref-binding", "rpmostree.clientlayer", "rpmostree.clientlayer_version", "version"], "the layer's, promoted keys filtered out")
  t.match(d1, { checksum: base, "requested-packages": ["plain"], packages: [], "base-removals": [], "base-local-replacements": [], "base-remote-replacements": {}, "regenerate-initramfs": false })
  t.notOk("base-checksum" in d1! || "layered-commit-meta" in d1! || "initramfs-args" in d1!, "no layer, no initramfs state: rpm-ostree leaves these keys out")
})
