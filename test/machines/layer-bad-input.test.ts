/**
 * Bad input to the layering commands (issue 7 item 7): an unknown package, an unresolvable
 * request, a package conflicting with the base, hostile local RPMs (a `../` path; unsigned,
 * signed by an unknown key, or tampered with while gpgcheck is on), a failing scriptlet (its
 * output in the error) → one clear error line, a non-zero exit, and nothing changed: boot list,
 * deployment directories, origins, refs.
 */
import t from "tap"
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { writePackage } from "../../src/formats/rpm/package-write.js"
import { sysrootTmp } from "../helpers/sysroot.js"
import { rpmFixtures } from "../io/rpm-fixtures.js"
import { deployments, lst, makeLayerSysroot } from "./layer-fixture.js"
import { check, observe } from "./upgrade-fixture.js"

const refs = (S: string): string => execFileSync("ostree", [`--repo=${S}/ostree/repo`, "refs"], { encoding: "utf8" })

t.test("bad input leaves the sysroot as it was", async (t) => {
  const dir = sysrootTmp(t)
  const w = await makeLayerSysroot(t, dir)
  const { S } = w
  const fx = rpmFixtures()
  const evil = join(dir, "evil-1.0-1.noarch.rpm")
  writeFileSync(evil, writePackage({ name: "evil", files: [{ path: "/usr/../../etc/evil", mode: 0o100644, data: Buffer.from("x") }] }))
  const tampered = join(dir, "tampered.rpm")
  const bytes = readFileSync(fx.signed)
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff // the payload: its digest no longer matches
  writeFileSync(tampered, bytes)

  const state = async () => JSON.stringify({ o: await observe(S), origins: (await deployments(S)).map((d) => d.origin), refs: refs(S) })
  const before = await state()
  const cases: Array<[string, string[], RegExp]> = [
    ["unknown package", ["install", "nosuchpkg"], /no package matches "nosuchpkg"/],
    ["unresolvable request", ["install", "needs-missing"], /nothing provides does-not-exist needed by needs-missing/],
    ["conflicting layer", ["install", "conflicting"], /conflicting.*base-lib|base-lib.*conflicting/],
    ["failing scriptlet", ["install", "failing-script"], /failing-script.*the post script failed on purpose/],
    ["../ path in a local RPM", ["install", evil], /evil|canonical|\.\./],
    ["not an RPM", ["install", join(dir, "nothing.rpm")], /not a readable RPM|no such file|ENOENT/],
    ["uninstall what is not requested", ["uninstall", "hello"], /not requested: hello/],
    ["override remove of a non-base package", ["override", "remove", "hello"], /not in the base: hello/],
    ["override replace from an unknown repo", ["override", "replace", "--from", "repo=nope", "base-lib"], /no enabled repository nope/],
  ]
  writeFileSync(join(dir, "nothing.rpm"), "not an rpm\n")
  for (const [what, args, msg] of cases) {
    const r = lst(S, args)
    t.not(r.status, 0, `${what}: non-zero exit`)
    t.match(r.stderr, msg, `${what}: ${r.stderr.trim()}`)
    t.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line`)
    t.equal(await state(), before, `${what}: nothing changed`)
  }

  // gpgcheck on in the deployment's /etc: local RPMs must be signed by a key it has
  const etc = join((await deployments(S))[0]!.root, "etc")
  mkdirSync(join(etc, "pki/rpm-gpg"), { recursive: true })
  copyFileSync(fx.otherKey, join(etc, "pki/rpm-gpg/RPM-GPG-KEY-other"))
  writeFileSync(join(etc, "yum.repos.d/fixture.repo"), readFileSync(join(etc, "yum.repos.d/fixture.repo"), "utf8").replace("gpgcheck=0", "gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-other"))
  const before2 = await state()
  const signed: Array<[string, string, RegExp]> = [
    ["unsigned local RPM", w.d.local, /local-tool.*not signed/],
    ["signed by a key the system does not have", fx.signed, /strata-signed.*not imported/],
    ["tampered local RPM", tampered, /digest|mismatch|corrupt/i],
  ]
  for (const [what, file, msg] of signed) {
    const r = lst(S, ["install", file])
    t.not(r.status, 0, `${what}: non-zero exit`)
    t.match(r.stderr, msg, `${what}: ${r.stderr.trim()}`)
    t.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line`)
    t.equal(await state(), before2, `${what}: nothing changed`)
  }
  await check(t, S, "after bad input")
})
