/**
 * `strata apply-live` and `install --apply-live` on a booted system (issue 7 point 2): the
 * pending deployment's changes appear in the running /usr through a transient overlay whose upper
 * dir is under the run dir, new /etc files are added, the live state shows in `status`, and the
 * booted deployment's directory stays byte-for-byte and inode-for-inode what it was (its /etc
 * only gains the new files). Runs strata inside a private mount namespace (live-fixture.ts).
 */
import t from "tap"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { deployments, lst } from "./layer-fixture.js"
import { bootedJson, fingerprint, inNamespace, makeLiveWorld } from "./live-fixture.js"
import { ok } from "./upgrade-fixture.js"

const notEtc = (rel: string): boolean => rel === "etc"

t.test("apply-live: the staged install appears in the running /usr; the deployment directory is unchanged", async (t) => {
  const w = await makeLiveWorld(t, sysrootTmp(t))
  ok(t, lst(w.S, ["install", "hello"], { booted: true }), "install (staged)")
  const staged = (await deployments(w.S, true)).find((d) => d.staged)!.checksum
  const before = fingerprint(w.D, notEtc)
  const etcBefore = fingerprint(join(w.D, "etc"))
  const ns = inNamespace(w, [{ args: ["apply-live"] }, { args: ["status", "--json"] }, { args: ["ex", "apply-live"] }, { args: ["status"] }])
  const [apply, json, again, text] = ns.runs
  t.equal(apply!.status, 0, apply!.stderr)
  t.match(apply!.stdout, /Added:\n  hello-1\.0-1\.noarch\nSuccessfully updated running filesystem tree\./)
  t.match(ns.usr, /^\.\/bin\/hello$/m, "the running /usr has hello")
  t.match(ns.etc, /^\.\/hello\.conf$/m, "the running /etc has the new hello.conf")
  t.match(ns.mount, / - overlay overlay ro,/, "R/usr is an overlay, read-only between applies")
  t.ok(ns.mount.includes(`upperdir=${join(w.S, "run/strata/live")}`), "its upper dir is under the run dir")
  const booted = bootedJson(json!.stdout, w.base1)
  t.equal(booted["booted"], true)
  t.equal(booted["live-replaced"], staged, "status --json: live-replaced = the staged commit")
  t.equal(booted["live-inprogress"], undefined)
  t.equal(booted["unlocked"], "transient")
  t.equal(again!.status, 0)
  t.equal(again!.stdout.trim(), "No changes to apply live.", "a second apply-live has nothing to do")
  t.match(text!.stdout, new RegExp(`BootedCommit: ${w.base1}\\n\\s+LiveCommit: ${staged}`))
  // on disk: /usr of the booted deployment untouched (same inodes, same bytes); /etc gained hello.conf only
  t.equal(fingerprint(w.D, notEtc), before, "the deployment directory is unchanged (outside /etc)")
  t.equal(fingerprint(join(w.D, "etc"), (r) => r === "hello.conf"), etcBefore, "its /etc is unchanged but for the new file")
  t.notOk(existsSync(join(w.D, "usr/bin/hello")))
  t.equal(readFileSync(join(w.S, "ostree/repo/refs/heads/rpmostree/live-apply"), "utf8").trim(), staged, "rpmostree/live-apply names the live commit")
})

t.test("install --apply-live, then -A: the second apply goes onto the same overlay", async (t) => {
  const w = await makeLiveWorld(t, sysrootTmp(t))
  const before = fingerprint(w.D, notEtc)
  const ns = inNamespace(w, [{ args: ["install", "--apply-live", "hello"] }, { args: ["install", "-A", "world"] }, { args: ["status", "--json"] }])
  const [one, two, json] = ns.runs
  t.equal(one!.status, 0, one!.stderr)
  t.match(one!.stdout, /Staged testos-[0-9a-f]+\.\d+[\s\S]*Added:\n  hello-1\.0-1\.noarch\nSuccessfully updated/)
  t.equal(two!.status, 0, two!.stderr)
  t.match(two!.stdout, /Added:\n  world-1\.0-1\.noarch\nSuccessfully updated/, "only world is new to the live system")
  t.match(ns.usr, /^\.\/bin\/hello$/m)
  t.match(ns.usr, /^\.\/bin\/world$/m)
  const staged = (await deployments(w.S, true)).find((d) => d.staged)!.checksum
  t.equal(bootedJson(json!.stdout, w.base1)["live-replaced"], staged)
  t.equal(fingerprint(w.D, notEtc), before, "the deployment directory is unchanged")
})

t.test("a change that removes files is refused without --allow-replacement (named, nothing written); with it, applied", async (t) => {
  const w = await makeLiveWorld(t, sysrootTmp(t))
  const snap = `ls -lanR ${join(w.S, "run")} | grep -v '^total'; cat ${join(w.S, "ostree/repo/refs/heads/rpmostree/live-apply")}; awk '$5 ~ /root\\/usr$/' /proc/self/mountinfo`
  const ns = inNamespace(w, [
    { args: ["install", "--apply-live", "hello"] },
    { args: ["uninstall", "hello"] },
    { sh: snap, file: "before" },
    { args: ["apply-live"] },
    { sh: snap, file: "after" },
    { args: ["apply-live", "--allow-replacement"] },
  ])
  const [install, uninstall, refused, allowed] = ns.runs
  t.equal(install!.status, 0, install!.stderr)
  t.equal(uninstall!.status, 0, uninstall!.stderr)
  t.equal(refused!.status, 2, "exit 2")
  t.equal(refused!.stderr.trim().split("\n").length, 1, `one line: ${refused!.stderr.trim()}`)
  t.match(refused!.stderr, /packages would be removed: hello-1\.0-1\.noarch; files of the running \/usr would be replaced or removed: .*\/usr\/bin\/hello.*; use --allow-replacement/)
  t.equal(ns.files["after"], ns.files["before"], "nothing mounted, written or recorded by the refusal")
  t.equal(allowed!.status, 0, allowed!.stderr)
  t.match(allowed!.stdout, /Removed:\n  hello-1\.0-1\.noarch/)
  t.notMatch(ns.usr, /^\.\/bin\/hello$/m, "hello is gone from the running /usr")
})

t.test("apply-live on a sysroot that is not the running system: one line, nothing changes", async (t) => {
  const w = await makeLiveWorld(t, sysrootTmp(t))
  ok(t, lst(w.S, ["install", "hello"], { booted: true }), "install (staged)")
  for (const booted of [false, true]) {
    const r = lst(w.S, ["apply-live"], { booted })
    t.equal(r.status, 2)
    t.match(r.stderr, /apply-live needs a booted system; .* is not booted/)
    t.equal(r.stderr.trim().split("\n").length, 1)
  }
  t.notOk(existsSync(join(w.S, "run/strata")), "no overlay dir")
  t.notOk(existsSync(join(w.S, "ostree/repo/refs/heads/rpmostree/live-apply")), "no live ref")
})
