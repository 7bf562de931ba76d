/**
 * strata install / uninstall / override / reset on a scratch sysroot (deployed directly) and a
 * booted one (staged): the new deployment is base + layers as a client-layer commit, the origin
 * says so in rpm-ostree's words, the booted/previous deployment is untouched; the real `ostree`
 * reads the result.
 */
import t from "tap"
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { deployments, lst, makeLayerSysroot } from "./layer-fixture.js"
import { check, ok } from "./upgrade-fixture.js"

const rpmQa = (root: string): string[] =>
  execFileSync("rpm", ["--dbpath", join(root, "usr/share/rpm"), "-qa", "--qf", "%{NAME}-%{VERSION}\\n"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).sort()

t.test("install, uninstall, override, reset on a scratch sysroot", async (t) => {
  const dir = sysrootTmp(t)
  const w = await makeLayerSysroot(t, dir)
  const { S } = w
  let r = ok(t, lst(S, ["install", "world"]), "install world")
  t.match(r.stdout, /Added:\n  hello-1.0-1.noarch\n  world-1.0-1.noarch/)
  t.match(r.stdout, /Deployed testos-/)
  let l = await deployments(S)
  t.equal(l.length, 2, "new deployment + the previous one")
  t.equal(l[1]!.checksum, w.base1, "the previous deployment is the base, untouched")
  t.match(l[0]!.origin, /^\[origin\]\nbaserefspec=testos\/base\n\n\[packages\]\nrequested=world;\n$/, "origin: baserefspec + requested")
  t.same(rpmQa(l[0]!.root), ["base-extra-1.0", "base-lib-1.0", "hello-1.0", "world-1.0"])
  t.ok(existsSync(join(l[0]!.root, "usr/bin/world")))
  t.equal(readFileSync(join(l[0]!.root, "etc/hello.conf"), "utf8"), "greeting=1\n", "package /etc content in the deployment's /etc")
  t.equal(execFileSync("ostree", [`--repo=${S}/ostree/repo`, "rev-parse", `${l[0]!.checksum}^`], { encoding: "utf8" }).trim(), w.base1, "client-layer commit on the base")
  t.equal(execFileSync("ostree", [`--repo=${S}/ostree/repo`, "rev-parse", "rpmostree/base/0"], { encoding: "utf8" }).trim(), w.base1, "the base is kept by rpmostree/base/0")
  await check(t, S, "after install")

  r = lst(S, ["install", "world"])
  t.not(r.status, 0, "installing it again is refused")
  t.match(r.stderr, /already requested: world/)
  t.equal(r.stderr.trim().split("\n").length, 1, "one line")
  r = ok(t, lst(S, ["install", "world", "--idempotent"]), "--idempotent")
  t.match(r.stdout, /No change/)
  t.equal((await deployments(S)).length, 2, "no new deployment")
  r = lst(S, ["install", "base-lib"])
  t.match(r.stderr, /already provided by the base: base-lib/)

  ok(t, lst(S, ["install", w.d.local]), "install a local RPM")
  l = await deployments(S)
  t.match(l[0]!.origin, /requested-local=[0-9a-f]{64}:local-tool-1.0-1.noarch;/)
  t.same(rpmQa(l[0]!.root), ["base-extra-1.0", "base-lib-1.0", "hello-1.0", "local-tool-1.0", "world-1.0"], "world kept, local-tool added")

  ok(t, lst(S, ["uninstall", "world"]), "uninstall world")
  l = await deployments(S)
  t.same(rpmQa(l[0]!.root), ["base-extra-1.0", "base-lib-1.0", "local-tool-1.0"], "hello went with world (not requested)")

  ok(t, lst(S, ["override", "remove", "base-extra"]), "override remove")
  l = await deployments(S)
  t.match(l[0]!.origin, /\[overrides\]\nremove=base-extra;/)
  t.same(rpmQa(l[0]!.root), ["base-lib-1.0", "local-tool-1.0"])
  r = lst(S, ["override", "remove", "nosuch"])
  t.match(r.stderr, /not in the base: nosuch/)

  ok(t, lst(S, ["override", "reset", "base-extra"]), "override reset")
  l = await deployments(S)
  t.notMatch(l[0]!.origin, /overrides/)
  t.same(rpmQa(l[0]!.root), ["base-extra-1.0", "base-lib-1.0", "local-tool-1.0"])

  r = ok(t, lst(S, ["reset"]), "reset")
  l = await deployments(S)
  t.equal(l[0]!.checksum, w.base1, "back to the plain base")
  t.equal(l[0]!.origin, "[origin]\nrefspec=testos/base\n", "plain origin")
  await check(t, S, "after reset")
  t.equal(spawnSync("ostree", ["admin", "status", `--sysroot=${S}`]).status, 0)
})

t.test("install on a booted system stages", async (t) => {
  const dir = sysrootTmp(t)
  const w = await makeLayerSysroot(t, dir, { booted: true })
  const r = ok(t, lst(w.S, ["install", "hello"], { booted: true }), "install")
  t.match(r.stdout, /Staged testos-/)
  const l = await deployments(w.S, true)
  t.equal(l[0]!.staged, true, "staged")
  t.match(l[0]!.origin, /requested=hello;/)
  await check(t, w.S, "staged")
  ok(t, lst(w.S, ["admin", "finalize-staged"], { booted: true }), "finalize")
  const f = await deployments(w.S, true)
  t.equal(f.length, 2)
  t.ok(existsSync(join(f[0]!.root, "usr/bin/hello")))
})
