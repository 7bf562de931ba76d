/**
 * The layering sections of `.origin` files (FORMATS.md 6.6): an origin as rpm-ostree writes it is
 * read and written back byte for byte; layering state switches `refspec` to `baserefspec` and
 * back; malformed entries are refused with the entry named.
 */
import t from "tap"
import { emptyLayerState, hasLayerState, parseLayerState, withLayerState } from "../../src/io/sysroot/origin-layers.js"
import { originRefspec } from "../../src/io/sysroot/origin.js"
import { updatedOrigin } from "../../src/machines/upgrade-origin.js"

const SHA = "a".repeat(64)
const RPMOSTREE = `[origin]
baserefspec=fedora:fedora/39/x86_64/silverblue

[packages]
requested=vim;htop;
requested-local=${SHA}:foo-1.0-1.x86_64;

[overrides]
remove=firefox;
replace-local=${SHA}:kernel-6.0-1.x86_64;
replace=repo=updates-testing,podman,crun;

[rpmostree]
regenerate-initramfs=true
initramfs-args=--add;lvm;
initramfs-etc=/etc/crypttab;
`

t.test("an rpm-ostree origin reads and writes back unchanged", async (t) => {
  const s = parseLayerState(RPMOSTREE)
  t.same(s.requested, ["vim", "htop"])
  t.same(s.requestedLocal, [{ sha256: SHA, nevra: "foo-1.0-1.x86_64" }])
  t.same(s.remove, ["firefox"])
  t.same(s.replaceLocal, [{ sha256: SHA, nevra: "kernel-6.0-1.x86_64" }])
  t.same(s.replace, [{ repo: "updates-testing", packages: ["podman", "crun"] }])
  t.equal(s.regenerateInitramfs, true)
  t.same(s.initramfsArgs, ["--add", "lvm"])
  t.same(s.initramfsEtc, ["/etc/crypttab"])
  t.ok(hasLayerState(s))
  t.equal(withLayerState(RPMOSTREE, s), RPMOSTREE, "round trip")
  t.equal(originRefspec(RPMOSTREE), "fedora:fedora/39/x86_64/silverblue", "readers take baserefspec")
  t.match(updatedOrigin(RPMOSTREE, "fedora:fedora/40/x86_64/silverblue"), /^\[origin\]\nbaserefspec=fedora:fedora\/40\/x86_64\/silverblue\n/, "a rebase keeps baserefspec")
})

t.test("refspec becomes baserefspec with state, and back without", async (t) => {
  const plain = "[origin]\nrefspec=origin:os/stable\noverride-commit=" + "b".repeat(64) + "\n"
  t.same(parseLayerState(plain), emptyLayerState)
  const layered = withLayerState(plain, { ...emptyLayerState, requested: ["hello"] })
  t.equal(layered, `[origin]\nbaserefspec=origin:os/stable\noverride-commit=${"b".repeat(64)}\n\n[packages]\nrequested=hello;\n`)
  t.equal(withLayerState(layered, emptyLayerState), plain, "reset: back to the plain origin")
  const initramfs = withLayerState(plain, { ...emptyLayerState, regenerateInitramfs: true })
  t.match(initramfs, /baserefspec=/, "initramfs state alone makes it a base refspec")
  t.match(initramfs, /\[rpmostree\]\nregenerate-initramfs=true\n/)
  const pinned = "[origin]\nrefspec=r\n\n[libostree-transient]\npinned=true\n"
  t.equal(withLayerState(pinned, { ...emptyLayerState, remove: ["x"] }), "[origin]\nbaserefspec=r\n\n[libostree-transient]\npinned=true\n\n[overrides]\nremove=x;\n", "other groups kept")
})

t.test("malformed entries are refused, naming them", async (t) => {
  t.throws(() => parseLayerState("[origin]\nrefspec=r\n[packages]\nrequested-local=nothex:foo-1-1.x86_64;\n"), /malformed requested-local entry "nothex:foo-1-1.x86_64"/)
  t.throws(() => parseLayerState("[origin]\nrefspec=r\n[overrides]\nreplace=podman;\n"), /malformed replace entry "podman"/)
  t.throws(() => parseLayerState("[origin]\nrefspec=r\n[rpmostree]\nregenerate-initramfs=maybe\n"), /not a boolean/)
  t.throws(() => parseLayerState("garbage"), /malformed origin/)
})
