/**
 * Crash safety of an upgrade that carries layers over (upgrade-deploy on a scratch sysroot:
 * pull → assemble → prepare → swap → cleanup), and of `strata reset` (a layer-deploy whose
 * assemble deploys the plain base): SIGKILL at each event and inner crash point, `strata
 * recover`, then old-or-new state, `ostree fsck` clean, projections = disk, nothing in flight,
 * no work dir left; a re-run then succeeds.
 */
import t from "tap"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { cpA, labelsOf, normalizedLayers } from "./crash-helpers.js"
import { readLog } from "./harness.js"
import { lst, makeLayerSysroot } from "./layer-fixture.js"
import { check, observe, ok } from "./upgrade-fixture.js"

const withoutDirs = (state: string): string => JSON.stringify({ ...JSON.parse(state), dirs: undefined })

const workDirs = (S: string): string[] => readdirSync(join(S, "ostree/repo/tmp")).filter((n) => n.startsWith("strata-layer-") && n !== "strata-layer-cache")

for (const [what, cmd] of [["upgrade with a layer", ["upgrade"]], ["reset", ["reset"]]] as const) {
  t.test(`${what} killed at every event, then recovered`, async (t) => {
    const dir = sysrootTmp(t)
    const w = await makeLayerSysroot(t, dir)
    ok(t, lst(w.S, ["install", "hello"]), "install hello")
    if (cmd[0] === "upgrade") await w.publish2()
    const template = w.S
    const start = (await readLog(template)).length
    const oldState = normalizedLayers(template, await observe(template))
    const clean = cpA(template, join(dir, "clean"))
    ok(t, lst(clean, cmd), "clean run")
    const newState = normalizedLayers(clean, await check(t, clean, "clean"))
    t.not(newState, oldState)
    const labels = (await labelsOf(clean, start)).filter((l) => !l.startsWith("Reconciled"))
    t.ok(labels.includes("LayerCommitted:1"), `the assemble step ran: ${labels.join(" ")}`)
    const firstNew = labels.indexOf("BootloaderSwapped:1")
    const points: Array<[string, boolean]> = [
      ...labels.map((l, i): [string, boolean] => [l, i >= firstNew]),
      ["step:layered", false], ["step:prepared", false], ["step:swapped", true],
    ]
    for (const [label, isNew] of points) {
      const S = cpA(template, join(dir, `k-${label.replace(/:/g, "_")}`))
      const killed = lst(S, cmd, { env: { STRATA_CRASH_AT: label } })
      t.equal(killed.status, -1, `${label}: killed ${killed.stderr}`)
      const rec = lst(S, ["recover"])
      t.equal(rec.status, 0, `${label}: recovered ${rec.stderr}`)
      // completed past the point of no return, recovery does not run the cleanup: a deployment
      // directory the new list left out may stay until the next cleanup (as for deploy)
      const seen = normalizedLayers(S, await check(t, S, label))
      t.equal(isNew ? withoutDirs(seen) : seen, isNew ? withoutDirs(newState) : oldState, `${label}: the ${isNew ? "new" : "old"} state`)
      t.same(workDirs(S), [], `${label}: no work dir left`)
      if (!isNew) t.equal(lst(S, cmd).status, 0, `${label}: a re-run succeeds`)
    }
  })
}
