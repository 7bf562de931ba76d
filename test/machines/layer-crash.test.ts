/**
 * Crash safety of the layering machines (issue 7 item 6): `strata install hello` is SIGKILLed
 * at each of its events and at the crash points inside its steps (STRATA_CRASH_AT), on a scratch
 * sysroot (layer-deploy: swapped into the boot list) and on a booted one (layer: staged); then
 * `strata recover` runs. The sysroot must be old-or-new (no partial deployment, no work dir left
 * in the repo's tmp), `ostree fsck` clean, projections equal to the disk, nothing in flight, the
 * log verified; a re-run of the install then succeeds.
 */
import t from "tap"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { cpA, labelsOf, normalizedLayers } from "./crash-helpers.js"
import { readLog } from "./harness.js"
import { lst, makeLayerSysroot } from "./layer-fixture.js"
import { check, observe } from "./upgrade-fixture.js"

const workDirs = (S: string): string[] => readdirSync(join(S, "ostree/repo/tmp")).filter((n) => n.startsWith("strata-layer-") && n !== "strata-layer-cache")

for (const booted of [false, true]) {
  t.test(`install killed at every event (${booted ? "booted: staged" : "scratch sysroot: deployed"}), then recovered`, async (t) => {
    const dir = sysrootTmp(t)
    const w = await makeLayerSysroot(t, dir, { booted })
    const template = w.S
    const start = (await readLog(template)).length
    const oldState = normalizedLayers(template, await observe(template))
    const clean = cpA(template, join(dir, "clean"))
    const r = lst(clean, ["install", "hello"], { booted })
    t.equal(r.status, 0, `clean run ${r.stderr}`)
    const newState = normalizedLayers(clean, await check(t, clean, "clean"))
    t.not(newState, oldState)
    const labels = (await labelsOf(clean, start)).filter((l) => !l.startsWith("Reconciled"))
    const ponr = booted ? "DeploymentStaged:1" : "BootloaderSwapped:1"
    t.same(labels.slice(0, 5), ["TransactionStarted:1", "LayerRequested:1", "LayerCommitted:1", "DeployRequested:1", "DeploymentWritten:1"], "the layer's events")
    t.ok(labels.includes(ponr))
    const firstNew = labels.indexOf(ponr)
    const inner: Array<[string, boolean]> = booted
      ? [["step:layered", false], ["step:prepared", false], ["step:staged", true]]
      : [["step:layered", false], ["step:prepared", false], ["step:side-written", false], ["step:swapped", true], ["step:cleaned", true]]
    const points: Array<[string, boolean]> = [...labels.map((l, i): [string, boolean] => [l, i >= firstNew]), ...inner]
    for (const [label, isNew] of points) {
      const S = cpA(template, join(dir, `k-${label.replace(/:/g, "_")}`))
      const killed = lst(S, ["install", "hello"], { booted, env: { STRATA_CRASH_AT: label } })
      t.equal(killed.status, -1, `${label}: killed ${killed.stderr}`)
      const rec = lst(S, ["recover"], { booted })
      t.equal(rec.status, 0, `${label}: recovered ${rec.stderr}`)
      t.equal(normalizedLayers(S, await check(t, S, label)), isNew ? newState : oldState, `${label}: the ${isNew ? "new" : "old"} state`)
      t.same(workDirs(S), [], `${label}: no work dir left`)
      if (!isNew) {
        const again = lst(S, ["install", "hello"], { booted })
        t.equal(again.status, 0, `${label}: install again ${again.stderr}`)
      }
    }
  })
}
