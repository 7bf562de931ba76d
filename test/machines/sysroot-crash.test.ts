/**
 * Crash safety of the real sysroot machines (issue 3 item 6): deploy, rollback, undeploy and
 * cleanup on a sysroot strata made, SIGKILLed right after each of their events (and at the crash
 * points inside their steps), then `strata recover`; the invariants of sysroot-harness.ts after
 * each, and the old boot list or the new one.
 */
import t from "tap"
import { join } from "node:path"
import { commitTree } from "../../src/io/repo/commit.js"
import { openRepo } from "../../src/io/repo/repo.js"
import { makeOsTree, sysrootTmp } from "../helpers/sysroot.js"
import { readLog } from "./harness.js"
import { checkSysroot, child, cpA, makeSysroot, matrix } from "./sysroot-harness.js"

t.test("deploy, rollback, undeploy, cleanup: killed at every event, recovered", async (t) => {
  const dir = sysrootTmp(t)
  const { S } = await makeSysroot(dir)
  await checkSysroot(t, S, "template")
  const inside = { "step:prepared": "old", "step:side-written": "old", "step:swapped": "new", "step:cleaned": "new" } as const
  await matrix(t, dir, S, { args: ["deploy", "testos", "testos/v2"], newFrom: "BootloaderSwapped:1", inside })

  const both = cpA(S, join(dir, "both"))
  t.equal(child(both, ["deploy", "testos", "testos/v2"]).status, 0)
  const { "step:prepared": _, ...noPrepare } = inside
  await matrix(t, dir, both, { args: ["rollback"], newFrom: "BootloaderSwapped:1", inside: noPrepare })
  await matrix(t, dir, both, { args: ["undeploy", "1"], newFrom: "BootloaderSwapped:1" })
  // cleanup with nothing to remove changes nothing; after an undeploy that left a directory, it does.
  const leftover = cpA(both, join(dir, "leftover"))
  t.equal(child(leftover, ["undeploy", "1"], { crashAt: "step:swapped" }).signal, "SIGKILL")
  t.equal(child(leftover, ["recover"]).status, 0, "recovered without running the cleanup")
  await matrix(t, dir, leftover, { args: ["cleanup"], newFrom: "CleanupRequested:1", inside: { "step:cleaned": "new" }, dirs: true })
})

t.test("a deploy that fails (no such ref, no kernel) records only TransactionFailed and changes nothing", async (t) => {
  const dir = sysrootTmp(t)
  const { S, v1 } = await makeSysroot(dir)
  let before = (await readLog(S)).length
  const missing = child(S, ["deploy", "testos", "testos/nope"])
  t.equal(missing.status, 1)
  t.match(missing.stderr, /RepoError|not found|nope/i)
  const planned = (await readLog(S)).slice(before)
  t.same(planned.map((e) => e.type), ["TransactionStarted", "TransactionFailed"], "the plan failed: only the attempt is recorded")
  t.match((planned[1]!.data as { error: string }).error, /nope/)
  const tree = join(dir, "nokernel")
  makeOsTree(tree, { kernel: null })
  await commitTree(await openRepo(join(S, "ostree/repo")), { branch: "testos/bad", trees: [{ dir: tree }], subject: "bad", timestamp: 1700000000n })
  before = (await readLog(S)).length
  const bad = child(S, ["deploy", "testos", "testos/bad"])
  t.equal(bad.status, 1)
  const events = (await readLog(S)).slice(before)
  t.same(events.map((e) => e.type), ["TransactionStarted", "DeployRequested", "TransactionFailed"])
  t.match((events[2]!.data as { error: string }).error, /kernel/i)
  t.match(await checkSysroot(t, S, "no kernel"), new RegExp(`"list":\\["${v1}"\\]`), "unchanged")
})
