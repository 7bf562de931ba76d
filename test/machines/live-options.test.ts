/**
 * `strata apply-live` options and refusals: `--reset` (back to the booted commit, which removes
 * what was applied: needs --allow-replacement), a `--target` that does not resolve, `--target`
 * with `--reset`, nothing pending, and an upgrade whose packages change — refused with the
 * packages and files named, before anything is mounted or recorded.
 */
import t from "tap"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { lst } from "./layer-fixture.js"
import { bootedJson, inNamespace, makeLiveWorld } from "./live-fixture.js"
import { ok } from "./upgrade-fixture.js"

t.test("--reset takes the running /usr back to the booted commit", async (t) => {
  const w = await makeLiveWorld(t, sysrootTmp(t))
  const ns = inNamespace(w, [
    { args: ["install", "--apply-live", "hello"] },
    { args: ["apply-live", "--reset"] },
    { args: ["apply-live", "--reset", "--allow-replacement"] },
    { args: ["status", "--json"] },
  ])
  const [install, refused, reset, json] = ns.runs
  t.equal(install!.status, 0, install!.stderr)
  t.equal(refused!.status, 2)
  t.match(refused!.stderr, /packages would be removed: hello-1\.0-1\.noarch/)
  t.equal(reset!.status, 0, reset!.stderr)
  t.match(reset!.stdout, /Removed:\n  hello-1\.0-1\.noarch/)
  t.notMatch(ns.usr, /^\.\/bin\/hello$/m, "hello is gone from the running /usr")
  t.equal(bootedJson(json!.stdout, w.base1)["live-replaced"], w.base1, "the live commit is the booted one again")
})

t.test("bad requests: one line, nothing mounted or recorded", async (t) => {
  const w = await makeLiveWorld(t, sysrootTmp(t))
  const ns = inNamespace(w, [
    { args: ["apply-live"] },
    { args: ["apply-live", "--target", "no-such-ref"] },
    { args: ["apply-live", "--target", w.base1, "--reset"] },
    { args: ["apply-live", "surplus"] },
  ])
  const expect: Array<[number, RegExp]> = [
    [2, /no target commit given and no pending deployment/],
    [3, /no such commit or ref "no-such-ref"/],
    [2, /--target and --reset exclude each other/],
    [2, /unexpected argument "surplus"/],
  ]
  ns.runs.forEach((r, i) => {
    t.equal(r.status, expect[i]![0], `${i}: exit ${r.stderr.trim()}`)
    t.match(r.stderr, expect[i]![1])
    t.equal(r.stderr.trim().split("\n").length, 1, `${i}: one line`)
  })
  t.equal(ns.mount, "", "nothing mounted")
  t.notOk(existsSync(join(w.S, "run/strata")), "no overlay dir")
  t.notOk(existsSync(join(w.S, "ostree/repo/refs/heads/rpmostree/live-apply")), "no live ref")
})

t.test("an upgrade that changes packages is refused live, naming the packages and files", async (t) => {
  const w = await makeLiveWorld(t, sysrootTmp(t))
  await w.publish2()
  const ns = inNamespace(w, [{ args: ["upgrade"] }, { args: ["apply-live"] }])
  const [upgrade, refused] = ns.runs
  t.equal(upgrade!.status, 0, upgrade!.stderr)
  t.equal(refused!.status, 2)
  t.equal(refused!.stderr.trim().split("\n").length, 1, refused!.stderr.trim())
  t.match(refused!.stderr, /packages would be changed: .*base-lib-1\.0-1\.noarch -> base-lib-2\.0-1\.noarch/)
  t.match(refused!.stderr, /files of the running \/usr would be replaced or removed: .*\/usr\/lib\/base-lib\.txt/)
  t.equal(ns.mount, "", "nothing mounted")
  t.notOk(existsSync(join(w.S, "run/strata")), "no overlay dir")
  ok(t, lst(w.S, ["status"], { booted: true }), "status still reads it")
})

t.test("an interrupted apply shows in status (live-inprogress, InterruptedLiveCommit) until recover undoes it", async (t) => {
  const w = await makeLiveWorld(t, sysrootTmp(t))
  ok(t, lst(w.S, ["install", "hello"], { booted: true }), "install (staged)")
  const ns = inNamespace(w, [
    { args: ["apply-live"], env: { STRATA_CRASH_AT: "step:live-half" } },
    { args: ["status", "--json"] },
    { args: ["status"] },
    { args: ["recover"] },
    { args: ["status", "--json"] },
  ])
  const [killed, json, text, rec, after] = ns.runs
  t.equal(killed!.status, -1, "killed half-way")
  const b = bootedJson(json!.stdout, w.base1)
  const staged = (JSON.parse(json!.stdout) as { deployments: Array<{ staged: boolean; checksum: string }> }).deployments.find((d) => d.staged)!.checksum
  t.equal(b["live-inprogress"], staged, "live-inprogress names the target")
  t.equal(b["unlocked"], "transient")
  t.match(text!.stdout, new RegExp(`InterruptedLiveCommit: ${staged}`))
  t.equal(rec!.status, 0, rec!.stderr)
  const a = bootedJson(after!.stdout, w.base1)
  t.equal(a["live-inprogress"], undefined, "recover undid it")
  t.equal(a["unlocked"], "none")
  t.equal(ns.mount, "", "the overlay is gone")
  t.notMatch(ns.usr, /^\.\/bin\/hello$/m)
})
