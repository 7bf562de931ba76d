/**
 * Crash safety of the compose machine: `strata compose tree` (compose/2 onto a repo holding the
 * compose/1 commit) is SIGKILLed at each of its events and at the crash points inside its steps,
 * then `strata recover --repo` runs. Before the point of no return (RefMoved) the repository
 * must be exactly as before — the ref unchanged, the same objects (nothing written by the killed
 * compose is left), no work dir, no staging dir; after it, exactly as after a clean run. Either
 * way `ostree fsck` is clean, nothing is left in flight, and the next compose finishes the job
 * (a new commit) or says nothing changed. Recovery killed half-way is run again.
 */
import t from "tap"
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { openEventLog } from "../../src/events/open.js"
import { repoLogPath } from "../../src/machines/compose-place.js"
import { buildDistro } from "../helpers/distro.js"
import { sh, strata, tmp } from "../helpers/tmp.js"

const REF = "strata/fixture/x86_64/base"

const cpA = (from: string, to: string): string => {
  const r = spawnSync("cp", ["-a", from, to])
  if (r.status !== 0) throw new Error(`cp -a failed: ${r.stderr}`)
  return to
}

const objects = (repo: string): string[] =>
  readdirSync(join(repo, "objects")).flatMap((d) => readdirSync(join(repo, "objects", d)).map((n) => `${d}${n}`)).sort()

const eventTypes = async (repo: string): Promise<string[]> => {
  const log = await openEventLog(repoLogPath(repo), { create: false })
  try {
    const out: string[] = []
    for await (const e of log.readAll()) out.push(e.type)
    return out
  } finally {
    await log.close()
  }
}

/** Where the test also composes again after recovery. */
const RECOMPOSE = new Set(["ComposeRequested", "TreeAssembled", "CommitWritten", "RefMoveRequested", "RefMoved", "step:committed"])

interface State {
  readonly ref: string
  readonly objects: ReadonlyArray<string>
}

t.test("compose killed at every event and inside its steps, then recovered", async (t) => {
  const d = await buildDistro()
  const dir = tmp(t, "strata-compose-crash-")
  // the template: a repo with the compose/1 commit, and a warm cache beside it
  const template = join(dir, "template")
  const repoOf = (base: string) => join(base, "repo")
  const cacheOf = (base: string) => join(base, "cache")
  mkdirSync(template)
  sh("ostree", [`--repo=${repoOf(template)}`, "init", "--mode=bare"])
  const compose = (base: string, treefile: string, env: Record<string, string> = {}) =>
    strata(["compose", "tree", "--repo", repoOf(base), "--cachedir", cacheOf(base), treefile], { env: { SOURCE_DATE_EPOCH: "1700000100", ...env } })
  const first = compose(template, d.treefile1)
  t.equal(first.status, 0, `template: ${first.stderr}`)
  const observe = (base: string): State => ({ ref: sh("ostree", [`--repo=${repoOf(base)}`, "rev-parse", REF]).trim(), objects: objects(repoOf(base)) })
  const oldState = observe(template)
  const logBefore = (await eventTypes(repoOf(template))).length

  const clean = cpA(template, join(dir, "clean"))
  const ok = compose(clean, d.treefile2)
  t.equal(ok.status, 0, `clean run: ${ok.stderr}`)
  const newState = observe(clean)
  t.not(newState.ref, oldState.ref)
  const labels = (await eventTypes(repoOf(clean))).slice(logBefore)
  t.same(labels, [
    "TransactionStarted", "ComposeRequested", "PackagesDownloaded", "TreeAssembleRequested", "TreeAssembled",
    "CommitRequested", "CommitWritten", "RefMoveRequested", "RefMoved", "ComposeCleanupRequested", "ComposeWorkdirRemoved", "TransactionCompleted",
  ], "the compose's events")

  const check = (base: string, label: string): State => {
    const repo = repoOf(base)
    t.match(sh("ostree", [`--repo=${repo}`, "fsck"]), /no errors found/, `${label}: fsck`)
    const tmpDir = join(repo, "tmp")
    const leftovers = existsSync(tmpDir) ? readdirSync(tmpDir).filter((n) => n.startsWith("strata-compose-") || n.startsWith("staging-")) : []
    t.same(leftovers, [], `${label}: no work dir or staging dir left`)
    const again = strata(["recover", "--repo", repo])
    t.equal(again.stdout.trim(), "nothing to recover", `${label}: nothing in flight`)
    return observe(base)
  }

  const firstNew = labels.indexOf("RefMoved")
  const points: Array<[string, boolean]> = [
    ...labels.map((l, i): [string, boolean] => [l, i >= firstNew]),
    ["step:downloaded", false], ["step:assembled", false], ["step:committed", false],
  ]
  for (const [label, isNew] of points) {
    const base = cpA(template, join(dir, `k-${label.replace(/:/g, "_")}`))
    const killed = compose(base, d.treefile2, { STRATA_CRASH_AT: label })
    t.equal(killed.status, -1, `${label}: killed ${killed.stderr}`)
    const rec = strata(["recover", "--repo", repoOf(base)])
    t.equal(rec.status, 0, `${label}: recovered ${rec.stderr}`)
    const s = check(base, label)
    t.equal(s.ref, isNew ? newState.ref : oldState.ref, `${label}: the ref is ${isNew ? "new" : "unchanged"}`)
    t.same(s.objects, isNew ? newState.objects : oldState.objects, `${label}: the objects are those of the ${isNew ? "clean run" : "template"}`)
    // the next compose finishes the job (checked at a few points: each costs a whole compose)
    if (!RECOMPOSE.has(label)) continue
    const next = compose(base, d.treefile2)
    t.equal(next.status, 0, `${label}: compose again ${next.stderr}`)
    if (isNew) t.match(next.stdout, /No apparent changes/, `${label}: nothing left to do`)
    else t.equal(observe(base).ref, newState.ref, `${label}: the re-run makes the clean run's commit`)
  }

  // recovery killed after undoing the commit, then run again
  const base = cpA(template, join(dir, "kr"))
  t.equal(compose(base, d.treefile2, { STRATA_CRASH_AT: "RefMoveRequested" }).status, -1, "killed at RefMoveRequested")
  const killedRec = strata(["recover", "--repo", repoOf(base)], { env: { STRATA_CRASH_AT: "undo:CommitWritten" } })
  t.equal(killedRec.status, -1, "recovery killed after undoing CommitWritten")
  t.equal(strata(["recover", "--repo", repoOf(base)]).status, 0, "recovered again")
  const s = check(base, "recovery killed")
  t.equal(s.ref, oldState.ref)
  t.same(s.objects, oldState.objects, "the objects of the template after two recoveries")

  // the next compose recovers by itself
  const b2 = cpA(template, join(dir, "self"))
  t.equal(compose(b2, d.treefile2, { STRATA_CRASH_AT: "step:committed" }).status, -1)
  const self = compose(b2, d.treefile2)
  t.equal(self.status, 0, self.stderr)
  t.equal(observe(b2).ref, newState.ref, "a compose after a crash recovers first, then composes")
  t.same(observe(b2).objects, newState.objects, "…with no garbage from the killed one")
})
