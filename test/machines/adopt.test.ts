/**
 * Adoption and reconciliation (issue 3 item 4): a sysroot made by `ostree admin` becomes one
 * `Adopted` event on strata's first command; strata then deploys, rolls back and cleans up on it
 * with `ostree admin status` agreeing and `ostree fsck` clean; changes `ostree admin` makes
 * afterwards are recorded as `Reconciled` drift, after which the projections equal the disk again.
 */
import t from "tap"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { sysrootTmp, makeOsTree } from "../helpers/sysroot.js"
import { ostree, ostreeCommit } from "../helpers/sysroot-flow.js"
import { strata } from "../helpers/tmp.js"
import type { Drift } from "../../src/events/types/system.js"
import { readDiskSnapshot } from "../../src/machines/reconcile.js"
import { driftOf } from "../../src/projections/drift.js"
import { foldLog, readLog } from "./harness.js"

const status = (S: string): string => ostree(["admin", "status", `--sysroot=${S}`])
const listed = (text: string): string[] => [...text.matchAll(/testos ([0-9a-f]{64}\.\d+)/g)].map((m) => m[1]!)

type T = Pick<typeof t, "equal" | "same" | "ok" | "match">
const ok = (t: T, args: string[]): string => {
  const r = strata(args)
  t.equal(r.status, 0, `strata ${args.join(" ")}: ${r.stderr}`)
  return r.stdout
}

/** Projections equal the disk, strata's and ostree's status agree, fsck is clean, the log verifies. */
const agree = async (t: T, S: string, what: string): Promise<void> => {
  t.same(driftOf((await foldLog(S)).deployments, await readDiskSnapshot(S), false).drift, [], `${what}: projections equal the disk`)
  t.equal(strata(["admin", "status", "--sysroot", S]).stdout, status(S), `${what}: strata admin status = ostree admin status`)
  t.match(ostree(["fsck", `--repo=${S}/ostree/repo`]), /no errors found/, `${what}: ostree fsck clean`)
  t.equal(strata(["log", "verify", "--sysroot", S]).status, 0, `${what}: log verify`)
}

t.test("adopt an ostree-made sysroot, then deploy, roll back and clean up with strata", async (t) => {
  const dir = sysrootTmp(t)
  const S = join(dir, "s")
  mkdirSync(S)
  ostree(["admin", "init-fs", S])
  ostree(["admin", "os-init", "testos", `--sysroot=${S}`])
  const tree = join(dir, "tree")
  const commit = (v: number): string => {
    makeOsTree(tree, { kernel: `kernel-${v}\n`, etc: { "os.conf": `v${v}\n` } })
    return ostreeCommit(join(S, "ostree/repo"), tree, "testos/stable", `42.${v}`)
  }
  const c1 = commit(1)
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "--karg=root=/dev/vda1", "testos/stable"])
  const c2 = commit(2)
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "testos/stable"])
  ostree(["admin", "pin", `--sysroot=${S}`, "1"])
  const before = status(S)

  t.match(ok(t, ["admin", "status", "--sysroot", S]), /^note: adopted this sysroot into the event log\n/, "the first command adopts")
  const log = await readLog(S)
  t.same(log.map((e) => e.type), ["Adopted"], "one Adopted event")
  t.match(log[0]!.data, { bootversion: 0, subbootversion: 1, deployments: [{ checksum: c2, pinned: false }, { checksum: c1, pinned: true }] }, "the disk's state, as ostree reads it")
  t.equal(status(S), before, "adopting changed nothing on disk")
  await agree(t, S, "adopted")

  const c3 = commit(3)
  ok(t, ["admin", "deploy", "--sysroot", S, "--os=testos", "testos/stable"])
  t.same(listed(status(S)), [`${c3}.0`, `${c2}.0`, `${c1}.0`], "strata's deploy: new first, the merge deployment and the pinned one kept")
  t.match(status(S), /Pinned: yes/, "the pin survives")
  await agree(t, S, "deploy")
  ok(t, ["rollback", "--sysroot", S])
  t.same(listed(status(S)), [`${c2}.0`, `${c3}.0`, `${c1}.0`], "rollback")
  await agree(t, S, "rollback")
  ok(t, ["admin", "pin", "--unpin", "2", "--sysroot", S])
  ok(t, ["cleanup", "-r", "--sysroot", S])
  ok(t, ["admin", "cleanup", "--sysroot", S])
  t.same(listed(status(S)), [`${c2}.0`, `${c1}.0`], "cleanup -r removed the rollback deployment")
  await agree(t, S, "cleanup")
  t.notOk((await readLog(S)).some((e) => e.type === "Reconciled"), "no drift while only strata changes the sysroot")

  // ostree admin changes the sysroot behind strata's back: the next strata command records it.
  const c4 = commit(4)
  ostree(["admin", "deploy", `--sysroot=${S}`, "--os=testos", "testos/stable"])
  ostree(["admin", "pin", `--sysroot=${S}`, "0"])
  const out = ok(t, ["status", "--sysroot", S])
  t.match(out, /note: recorded \d+ differences? between the disk and the event log/)
  const rec = (await readLog(S)).filter((e) => e.type === "Reconciled")
  t.equal(rec.length, 1, "one Reconciled event")
  const drift = (rec[0]!.data as { drift: Drift[] }).drift
  t.same([...new Set(drift.map((d) => d.kind))].sort(), ["boot-order", "loader", "missing", "unknown"].sort(), "new deployment, new boot order and loader, the deployment ostree's cleanup removed")
  t.ok(drift.some((d) => d.kind === "unknown" && d.detail.includes(c4)), "names the deployment ostree made")
  await agree(t, S, "reconciled")
  ok(t, ["status", "--sysroot", S])
  t.equal((await readLog(S)).filter((e) => e.type === "Reconciled").length, 1, "nothing more to record")

  // strata keeps managing it: a transaction reconciles first, then plans from the disk.
  ostree(["admin", "pin", "--unpin", `--sysroot=${S}`, "0"])
  ok(t, ["admin", "undeploy", "1", "--sysroot", S])
  t.same(listed(status(S)), [`${c4}.0`], "undeploy planned from the reconciled state")
  const last = (await readLog(S)).filter((e) => e.type === "Reconciled").at(-1)!
  t.same((last.data as { drift: Drift[] }).drift.map((d) => d.kind), ["pinned"], "the unpin by ostree was recorded before the undeploy")
  await agree(t, S, "after ostree and strata took turns")
})
