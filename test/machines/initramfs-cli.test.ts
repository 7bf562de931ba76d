// strata initramfs / initramfs-etc end to end on a scratch sysroot: the origin's [rpmostree] keys
// are edited, the layering transaction makes a new deployment whose initramfs the tree's own
// dracut (the fixture distribution's fake one, run with busybox in bubblewrap) regenerated;
// without dracut, a clear error and nothing changed.
import t from "tap"
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { deployments } from "./layer-fixture.js"
import { check, ok } from "./upgrade-fixture.js"
import { KVER, image, makeDracutSysroot as sysroot, s } from "./initramfs-fixture.js"

t.test("initramfs --enable / --disable, initramfs-etc --track / --untrack", async (t) => {
  const dir = sysrootTmp(t)
  const { S, base } = await sysroot(t, dir, true)
  t.equal(s(S, ["initramfs"]).stdout, "Initramfs regeneration: disabled\n")
  t.equal(s(S, ["initramfs-etc"]).stdout, "No tracked files.\n")

  const on = ok(t, s(S, ["initramfs", "--enable", "--arg=--add=foo"]), "enable")
  t.match(on.stdout, /^Initramfs regeneration is now: enabled\nDeployed testos-/)
  let l = await deployments(S)
  t.equal(l.length, 2)
  t.match(l[0]!.origin, /^\[origin\]\nbaserefspec=testos\/base\n\n\[rpmostree\]\nregenerate-initramfs=true\ninitramfs-args=--add=foo;\n$/)
  t.equal(image(l[0]!.root).toString(), `fixture initramfs by dracut\nkver=${KVER}\nargs= -v --add ostree --tmpdir=/tmp/dracut --no-hostonly --add=foo\netc=base.conf\n`, "the tree's dracut ran with rpm-ostree's arguments and the deployment's /etc")
  t.equal(image(l[1]!.root).toString(), `initramfs-${KVER}\n`, "the previous deployment keeps its image")
  t.equal(execFileSync("ostree", [`--repo=${S}/ostree/repo`, "rev-parse", `${l[0]!.checksum}^`], { encoding: "utf8" }).trim(), base, "a client-layer commit on the base")
  t.equal(s(S, ["initramfs"]).stdout, "Initramfs regeneration: enabled\nInitramfs args: --add=foo \n")
  const st = s(S, ["status"]).stdout
  t.match(st, `BaseCommit: ${base}\n                Initramfs: --add=foo \n`, "status shows it like rpm-ostree")
  await check(t, S, "after enable")

  // rpm-ostree does not compare arguments: --enable without --arg reruns dracut with none
  ok(t, s(S, ["initramfs", "--enable"]), "enable again, without arguments")
  l = await deployments(S)
  t.match(l[0]!.origin, /\[rpmostree\]\nregenerate-initramfs=true\n$/)
  t.match(image(l[0]!.root).toString(), /\nargs= -v --add ostree --tmpdir=\/tmp\/dracut --no-hostonly\n/)
  const again = s(S, ["initramfs", "--enable"])
  t.equal(again.status, 2)
  t.equal(again.stderr, "strata: initramfs: initramfs regeneration state is already enabled\n")
  t.equal((await deployments(S)).length, l.length, "no new deployment")

  // a file of the deployment's /etc carried into the image
  writeFileSync(join(l[0]!.root, "etc/crypttab"), "luks-x UUID=x none\n")
  mkdirSync(join(l[0]!.root, "etc/fixture-initramfs"), { recursive: true })
  writeFileSync(join(l[0]!.root, "etc/fixture-initramfs/local.conf"), "l\n")
  const tr = ok(t, s(S, ["initramfs-etc", "--track=/etc/crypttab"]), "track")
  t.match(tr.stdout, /^Deployed testos-/)
  l = await deployments(S)
  t.match(l[0]!.origin, /initramfs-etc=\/etc\/crypttab;/)
  const img = image(l[0]!.root)
  t.match(img.toString("latin1"), /etc=base.conf\netc=local.conf\n/, "dracut saw the merge deployment's /etc")
  const cpio = join(dir, "overlay.cpio")
  writeFileSync(cpio, img.subarray(img.indexOf("070701")))
  t.equal(execFileSync("sh", ["-c", `cpio -i --quiet --to-stdout etc/crypttab < '${cpio}'`], { encoding: "utf8" }), "luks-x UUID=x none\n", "the tracked file is in the image")
  t.equal(s(S, ["initramfs-etc"]).stdout, "Tracked files:\n  /etc/crypttab\n")
  t.equal(ok(t, s(S, ["initramfs-etc", "--track=/etc/crypttab"]), "track again").stdout, "No changes.\n")
  const bad = s(S, ["initramfs-etc", "--track=/var/x"])
  t.equal(bad.status, 2)
  t.match(bad.stderr, /^strata: initramfs-etc: "\/var\/x" is not a path under \/etc/)

  ok(t, s(S, ["initramfs", "--disable"]), "disable")
  l = await deployments(S)
  t.match(l[0]!.origin, /\[rpmostree\]\ninitramfs-etc=\/etc\/crypttab;\n$/, "still tracking, no longer regenerating")
  const only = image(l[0]!.root)
  t.equal(only.subarray(0, only.indexOf("070701")).toString(), `initramfs-${KVER}\n`, "the base image plus the /etc overlay, no dracut run")
  ok(t, s(S, ["initramfs-etc", "--untrack-all"]), "untrack all")
  l = await deployments(S)
  t.match(l[0]!.origin, /^\[origin\]\nrefspec=testos\/base\n$/, "back to a plain origin")
  t.equal(image(l[0]!.root).toString(), `initramfs-${KVER}\n`)
  await check(t, S, "after untrack")
})

t.test("no dracut in the deployment: one clear line, nothing changed", async (t) => {
  const dir = sysrootTmp(t)
  const { S } = await sysroot(t, dir, false)
  const before = await deployments(S)
  const r = s(S, ["initramfs", "--enable"])
  t.not(r.status, 0)
  t.match(r.stderr, "initramfs: the deployment has no /usr/bin/dracut; regenerating the initramfs needs dracut in the base image")
  t.same(await deployments(S), before, "the same deployments, the same origin")
  t.equal(s(S, ["initramfs"]).stdout, "Initramfs regeneration: disabled\n")
  t.equal(s(S, ["initramfs", "--disable", "--arg=x"]).status, 2, "--disable with --arg refused")
  t.equal(s(S, ["initramfs", "--arg=x"]).status, 2, "--arg without --enable refused")
  await check(t, S, "after the refused enable")
})
