/**
 * Layers carried across upgrades (issue 7 item 2): on a scratch sysroot (deployed directly, no
 * staging) base 1 + hello, then base 2 → upgrade re-applies hello on base 2 as a new client-layer
 * commit, rollback returns to the first; a layered package that conflicts with the new base
 * makes the upgrade fail naming both packages, with the sysroot unchanged.
 */
import t from "tap"
import { execFileSync } from "node:child_process"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { deployments, lst, makeLayerSysroot } from "./layer-fixture.js"
import { check, observe, ok } from "./upgrade-fixture.js"

const rpmQa = (root: string): string[] =>
  execFileSync("rpm", ["--dbpath", join(root, "usr/share/rpm"), "-qa", "--qf", "%{NAME}-%{VERSION}\\n"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).sort()

const parent = (S: string, c: string): string => execFileSync("ostree", [`--repo=${S}/ostree/repo`, "rev-parse", `${c}^`], { encoding: "utf8" }).trim()

t.test("compose base 1 → deploy → install → upgrade to base 2 (layer carried over) → rollback", async (t) => {
  const dir = sysrootTmp(t)
  const w = await makeLayerSysroot(t, dir)
  const { S } = w
  ok(t, lst(S, ["install", "hello"]), "install hello")
  const layered1 = (await deployments(S))[0]!
  t.equal(parent(S, layered1.checksum), w.base1)
  let r = ok(t, lst(S, ["upgrade"]), "upgrade without a new base")
  t.match(r.stdout, /No upgrade available/, "the layered deployment is measured by its base")

  const base2 = await w.publish2()
  r = ok(t, lst(S, ["upgrade"]), "upgrade to base 2")
  t.match(r.stdout, /Deployed testos-/)
  const l = await deployments(S)
  t.equal(parent(S, l[0]!.checksum), base2, "a client-layer commit on base 2")
  t.same(rpmQa(l[0]!.root), ["base-extra-1.1", "base-lib-2.0", "hello-1.0"], "hello carried over onto base 2")
  t.match(l[0]!.origin, /^\[origin\]\nbaserefspec=testos\/base\n\n\[packages\]\nrequested=hello;\n$/)
  t.equal(l[1]!.checksum, layered1.checksum, "the previous layered deployment is the rollback")
  await check(t, S, "upgraded")
  t.equal(execFileSync("ostree", [`--repo=${S}/ostree/repo`, "rev-parse", "rpmostree/base/0"], { encoding: "utf8" }).trim().length, 64)

  ok(t, lst(S, ["rollback"]), "rollback")
  const rb = await deployments(S)
  t.equal(rb[0]!.checksum, layered1.checksum, "base 1 + hello is the default again")
  await check(t, S, "rolled back")
})

t.test("a layered package that conflicts with the new base refuses the upgrade", async (t) => {
  const dir = sysrootTmp(t)
  const w = await makeLayerSysroot(t, dir)
  const { S } = w
  ok(t, lst(S, ["install", "pinned-old"]), "install pinned-old")
  await w.publish2()
  const before = await observe(S)
  const origins = (await deployments(S)).map((d) => d.origin)
  const r = lst(S, ["upgrade"])
  t.not(r.status, 0, "refused")
  t.match(r.stderr, /pinned-old/, "names the layered package")
  t.match(r.stderr, /base-lib/, "and the base package")
  t.equal(r.stderr.trim().split("\n").length, 1, "one line")
  t.equal(await observe(S), before, "no deployment written, boot list unchanged")
  t.same((await deployments(S)).map((d) => d.origin), origins, "origins unchanged")
  await check(t, S, "refused")
})
