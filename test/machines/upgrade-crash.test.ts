/**
 * Crash safety of the upgrade machine (issue 4 item 8): `strata upgrade` from an HTTP remote is
 * SIGKILLed at each of its events (STRATA_CRASH_AT) and at the crash points inside its steps,
 * then `strata recover` runs; the sysroot must be bootable and old-or-new (v2 staged or not, no
 * partial deployment directory), `ostree fsck` clean, projections equal to the disk, nothing in
 * flight and `strata log verify` passing. Killing the recovery itself is covered by running a
 * second recovery. Finally a re-run of `strata upgrade` completes from whatever the kill left.
 */
import t from "tap"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { cpA, labelsOf } from "./crash-helpers.js"
import { readLog } from "./harness.js"
import { check, makeServer, makeSysroot, observe, sst } from "./upgrade-fixture.js"

t.test("upgrade killed at every event and inside its steps, then recovered", async (t) => {
  const dir = sysrootTmp(t)
  const srv = await makeServer(t, dir)
  srv.publish("testos/stable", "1", 1)
  const template = makeSysroot(t, join(dir, "template"), srv.url)
  srv.publish("testos/stable", "2", 2)
  const start = (await readLog(template)).length
  const oldState = await observe(template)

  const clean = cpA(template, join(dir, "clean"))
  t.equal(sst(clean, ["upgrade"]).status, 0, "clean run")
  const newState = await check(t, clean, "clean")
  t.not(newState, oldState, "the clean run stages v2")
  const labels = await labelsOf(clean, start)
  t.same(labels.filter((l) => !l.startsWith("Reconciled")), [
    "TransactionStarted:1", "PullRequested:1", "CommitPulled:1", "DeployRequested:1", "DeploymentWritten:1",
    "StageRequested:1", "DeploymentStaged:1", "TransactionCompleted:1",
  ], "the upgrade's events")
  const firstNew = labels.indexOf("DeploymentStaged:1")
  const points: Array<[string, boolean]> = [
    ...labels.map((l, i): [string, boolean] => [l, i >= firstNew]),
    ["step:pulled", false], ["step:prepared", false], ["step:staged", true],
  ]
  for (const [label, isNew] of points) {
    const S = cpA(template, join(dir, `k-${label.replace(/:/g, "_")}`))
    const killed = sst(S, ["upgrade"], { STRATA_CRASH_AT: label })
    t.equal(killed.status, -1, `${label}: killed ${killed.stderr}`)
    const rec = sst(S, ["recover"])
    t.equal(rec.status, 0, `${label}: recovered ${rec.stderr}`)
    t.equal(await check(t, S, label), isNew ? newState : oldState, `${label}: the ${isNew ? "new" : "old"} state`)
    // Recovery killed part-way, then run again: same result.
    if (label === "StageRequested:1" || label === "DeployRequested:1") {
      const S2 = cpA(template, join(dir, `kr-${label.replace(/:/g, "_")}`))
      sst(S2, ["upgrade"], { STRATA_CRASH_AT: label })
      t.equal(sst(S2, ["recover"], { STRATA_CRASH_AT: "undo:DeployRequested" }).status, -1, `${label}: recovery killed`)
      t.equal(sst(S2, ["recover"]).status, 0, `${label}: recovered again`)
      t.equal(await check(t, S2, `${label} (recovery killed)`), oldState, `${label}: the old state after two recoveries`)
    }
    // Whatever the kill left, upgrading again stages v2 (the pull resumes from the kept objects).
    if (!isNew) {
      const again = sst(S, ["upgrade"])
      t.equal(again.status, 0, `${label}: upgrade again ${again.stderr}`)
      t.match(await observe(S), /"staged":"[0-9a-f]{12}\.\d"/, `${label}: v2 staged by the re-run`)
    }
  }
})
