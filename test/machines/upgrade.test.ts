/**
 * strata upgrade / deploy VERSION|CHECKSUM / rebase against an HTTP remote on 127.0.0.1 (issue 4
 * item 5): check, preview, download-only, staged then finalized, --reboot, rebase, deploy by
 * version and checksum, a downgrade refused (and allowed with --allow-downgrade).
 */
import t from "tap"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { originPath } from "../../src/io/sysroot/layout.js"
import { sysrootTmp } from "../helpers/sysroot.js"
import { check, makeServer, makeSysroot, ok, sst } from "./upgrade-fixture.js"

const contentObjects = (S: string): string[] =>
  readdirSync(join(S, "ostree/repo/objects"), { recursive: true }).map(String).filter((p) => p.endsWith(".file")).sort()

const list = async (S: string) => {
  const d = await loadSysroot({ sysroot: S, runDir: join(S, "run") })
  return { live: d.deployments.filter((x) => !x.staged).map((x) => x.checksum), staged: d.staged?.checksum, deployments: d.deployments }
}

t.test("upgrade: check, preview, download-only, stage, finalize", async (t) => {
  const dir = sysrootTmp(t)
  const srv = await makeServer(t, dir)
  const v1 = srv.publish("testos/stable", "1", 1)
  const S = makeSysroot(t, join(dir, "S"), srv.url)
  t.same((await list(S)).live, [v1], "v1 deployed")

  let r = sst(S, ["upgrade", "--check"])
  t.equal(r.status, 77, "no update: --check exits 77")
  t.match(r.stdout, /No updates available/)
  r = sst(S, ["upgrade"])
  t.equal(r.status, 0, "no update: upgrade exits 0")
  t.match(r.stdout, /No upgrade available/)
  t.equal(sst(S, ["upgrade", "--unchanged-exit-77"]).status, 77, "--unchanged-exit-77")

  const v2 = srv.publish("testos/stable", "2", 2)
  const contentBefore = contentObjects(S)
  r = ok(t, sst(S, ["upgrade", "--check"]), "check")
  t.match(r.stdout, /AvailableUpdate:\n\s+Version: 2 /)
  t.match(r.stdout, new RegExp(`Commit: ${v2}`))
  r = ok(t, sst(S, ["upgrade", "--preview"]), "preview")
  t.match(r.stdout, /AvailableUpdate:\n\s+Version: 2 /)
  t.match(r.stdout, /Diff: 1 upgraded\nUpgraded:\n  tool 1-1 -> 2-1/, "preview lists the upgraded package")
  t.same(await list(S).then((l) => l.staged), undefined, "preview stages nothing")
  // --check and --preview fetch the commit and its metadata only, never the tree
  t.same(contentObjects(S), contentBefore, "check and preview wrote no content object")
  t.ok(existsSync(join(S, `ostree/repo/state/${v2}.commitpartial`)), "v2 is there as a partial commit")
  r = ok(t, sst(S, ["upgrade", "--download-only"]), "download-only")
  t.match(r.stdout, /Downloaded:/)
  t.equal(readFileSync(join(S, "ostree/repo/refs/remotes/origin/testos/stable"), "utf8").trim(), v2, "the remote ref moved")
  t.same((await list(S)).live, [v1], "download-only deploys nothing")
  t.equal((await list(S)).staged, undefined)

  r = ok(t, sst(S, ["upgrade"]), "upgrade")
  t.match(r.stdout, /Staged testos-/)
  let l = await list(S)
  t.same(l.live, [v1], "the boot list is unchanged until finalization")
  t.equal(l.staged, v2, "v2 staged")
  await check(t, S, "staged")
  ok(t, sst(S, ["admin", "finalize-staged"]), "finalize-staged")
  l = await list(S)
  t.same(l.live, [v2, v1], "v2 is the default after finalization, v1 the rollback")
  await check(t, S, "finalized")
  const status = ok(t, sst(S, ["status", "--json"]), "status")
  t.ok(status.stdout.includes(v2), "status shows v2")
})

t.test("rebase, deploy by version and checksum, --reboot, downgrade refused", async (t) => {
  const dir = sysrootTmp(t)
  const srv = await makeServer(t, dir)
  const v1 = srv.publish("testos/stable", "1", 1)
  const S = makeSysroot(t, join(dir, "S"), srv.url)
  const v2 = srv.publish("testos/stable", "2", 2)
  const v3 = srv.publish("testos/stable", "3", 3)
  const n1 = srv.publish("testos/next", "n1", 4)

  // deploy VERSION: walks the ref's history (v3 → v2) and stages v2, with override-commit.
  let r = ok(t, sst(S, ["deploy", "2"]), "deploy 2")
  let l = await list(S)
  t.equal(l.staged, v2, "version 2 staged")
  const staged = l.deployments.find((d) => d.staged)!
  t.match(readFileSync(originPath(S, staged), "utf8"), new RegExp(`refspec=origin:testos/stable\noverride-commit=${v2}`), "origin pins the commit")
  await check(t, S, "deploy 2")

  // deploy CHECKSUM with --reboot: staged and finalized at once.
  r = ok(t, sst(S, ["deploy", v3, "--reboot"]), "deploy v3 --reboot")
  t.match(r.stdout, /systemctl reboot/)
  l = await list(S)
  t.same(l.live.slice(0, 2), [v3, v1], "v3 is the default; the staged v2 was replaced")
  t.equal(l.staged, undefined)
  await check(t, S, "deploy v3")

  // upgrade from an override-commit deployment clears it (same commit, new origin).
  // rebase to another ref of the same remote.
  r = ok(t, sst(S, ["rebase", "testos/next"]), "rebase")
  l = await list(S)
  t.equal(l.staged, n1, "testos/next staged")
  const rb = l.deployments.find((d) => d.staged)!
  const origin = readFileSync(originPath(S, rb), "utf8")
  t.match(origin, /refspec=origin:testos\/next/, "the origin follows the new ref")
  t.notMatch(origin, /override-commit/, "rebase clears the override")
  ok(t, sst(S, ["admin", "finalize-staged"]), "finalize rebase")
  t.equal((await list(S)).live[0], n1)
  await check(t, S, "rebased")

  // A downgrade: the remote ref goes back to an older commit.
  const old = srv.publish("testos/next", "n0", 0)
  r = sst(S, ["upgrade"])
  t.not(r.status, 0, "a downgrade is refused")
  t.match(r.stderr, /chronologically older/)
  t.equal((await list(S)).staged, undefined, "nothing staged")
  t.equal(readFileSync(join(S, "ostree/repo/refs/remotes/origin/testos/next"), "utf8").trim(), n1, "the ref did not move")
  await check(t, S, "downgrade refused")
  ok(t, sst(S, ["upgrade", "--allow-downgrade"]), "--allow-downgrade")
  t.equal((await list(S)).staged, old, "the older commit staged")
  await check(t, S, "downgrade allowed")
  t.ok(v1 && v3)
})

t.test("the pull step reports its progress to whoever runs the transaction", async (t) => {
  const { runSysrootTransaction, upgradeTransaction, planUpgrade } = await import("../../src/machines/index.js")
  const dir = sysrootTmp(t)
  const srv = await makeServer(t, dir)
  srv.publish("testos/stable", "1", 1)
  const S = makeSysroot(t, join(dir, "S"), srv.url)
  srv.publish("testos/stable", "2", 2)
  const seen: Array<{ step: string; fetched: number }> = []
  const r = await runSysrootTransaction({
    sysroot: S,
    definition: upgradeTransaction,
    plan: planUpgrade({ action: "download" }),
    onProgress: (step, p) => seen.push({ step, fetched: (p as { counters: { contentFetched: number; metadataFetched: number } }).counters.metadataFetched }),
  })
  t.equal(r.output.changed, true, "v2 downloaded")
  t.ok(seen.length > 0, "progress was reported")
  t.same([...new Set(seen.map((s) => s.step))], ["pull"], "by the pull step")
  t.ok(seen.at(-1)!.fetched > 0, "with the objects fetched")
})
