/**
 * Crash safety of `strata initramfs --enable` (the layering transaction with a dracut run in its
 * assembly): SIGKILLed at each of its events (STRATA_CRASH_AT) and inside its assembly step, then
 * `strata recover`; the sysroot must be old-or-new (never a deployment with a half-written
 * image), bootable, `ostree fsck` clean, projections equal to the disk, nothing in flight, the log
 * verified. A re-run then completes from whatever the kill left.
 */
import t from "tap"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { cpA, labelsOf } from "./crash-helpers.js"
import { readLog } from "./harness.js"
import { deployments } from "./layer-fixture.js"
import { check, observe } from "./upgrade-fixture.js"
import { image, makeDracutSysroot, s } from "./initramfs-fixture.js"

const ENABLE = ["initramfs", "--enable", "--arg=--add=foo"]
// the client-layer commit's timestamp: fixed, so every run makes the same commit
const SDE = { SOURCE_DATE_EPOCH: "1700009999" }

t.test("initramfs --enable killed at every event and inside its assembly, then recovered", async (t) => {
  const dir = sysrootTmp(t)
  const { S: template } = await makeDracutSysroot(t, dir, true, "template")
  const start = (await readLog(template)).length
  const oldState = await observe(template)

  const clean = cpA(template, join(dir, "clean"))
  t.equal(s(clean, ENABLE, SDE).status, 0, "clean run")
  const newState = await check(t, clean, "clean")
  t.not(newState, oldState)
  const wanted = image((await deployments(clean))[0]!.root).toString()
  t.match(wanted, /^fixture initramfs by dracut\n/)
  const labels = (await labelsOf(clean, start)).filter((l) => !l.startsWith("Reconciled"))
  t.ok(labels.includes("TransactionCompleted:1"), `events: ${labels.join(" ")}`)
  // the point of no return: the boot list swapped (or the deployment staged)
  const firstNew = labels.findIndex((l) => /^(BootloaderSwapped|DeploymentStaged|DeploymentsWritten):1$/.test(l))
  t.ok(firstNew > 0, "a point of no return among the events")
  const points: Array<[string, boolean]> = [...labels.map((l, i): [string, boolean] => [l, i >= firstNew]), ["step:layered", false]]
  for (const [label, isNew] of points) {
    const S = cpA(template, join(dir, `k-${label.replace(/:/g, "_")}`))
    const killed = s(S, ENABLE, { ...SDE, STRATA_CRASH_AT: label })
    t.equal(killed.status, -1, `${label}: killed ${killed.stderr}`)
    const rec = s(S, ["recover"])
    t.equal(rec.status, 0, `${label}: recovered ${rec.stderr}`)
    t.equal(await check(t, S, label), isNew ? newState : oldState, `${label}: the ${isNew ? "new" : "old"} state`)
    const tmp = join(S, "ostree/repo/tmp")
    t.same(existsSync(tmp) ? readdirSync(tmp).filter((n) => n.startsWith("strata-layer-") && n !== "strata-layer-cache") : [], [], `${label}: no layering work dir left`)
    if (isNew) t.equal(image((await deployments(S))[0]!.root).toString(), wanted, `${label}: the new deployment's image is whole`)
    else {
      const again = s(S, ENABLE, SDE)
      t.equal(again.status, 0, `${label}: enable again ${again.stderr}`)
      t.equal(image((await deployments(S))[0]!.root).toString(), wanted, `${label}: the re-run's image`)
    }
  }
})
