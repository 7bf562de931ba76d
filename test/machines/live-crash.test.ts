/**
 * Crash safety of `apply-live` (issue 7 item 6, DESIGN.md "Transactions as machines"): SIGKILLed
 * at each of its events and at the crash points inside its steps (STRATA_CRASH_AT), then
 * `strata recover` — in the same mount namespace, as on a running system where the overlay
 * outlives the killed process. Before the point of no return (LiveApplied) the running /usr is
 * exactly as before (the overlay of this transaction unmounted, or on an earlier overlay the
 * source's files written back), the new /etc files removed, no live state; from it on, the new
 * state. Always: the booted deployment's directory unchanged, nothing in flight, and a re-run
 * of apply-live succeeds. Recovery itself is killed too, and re-run.
 */
import t from "tap"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"
import { cpA, labelsOf } from "./crash-helpers.js"
import { readLog } from "./harness.js"
import { deployments, lst } from "./layer-fixture.js"
import { bootedJson, fingerprint, inNamespace, makeLiveWorld, type NsStep } from "./live-fixture.js"
import { ok } from "./upgrade-fixture.js"

const notEtc = (rel: string): boolean => rel === "etc"

/** What the running system shows, printed inside the namespace: /usr paths and hashes, /etc names, the /usr mount. */
const VIEW = `R="$STRATA_LIVE_ROOT"; (cd "$R/usr" && find . | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort -k2); ls "$R/etc"; awk -v p="$R/usr" '$5 == p {print "MOUNT", $9}' /proc/self/mountinfo`
const view = (file: string): NsStep => ({ sh: VIEW, file })
/** A layered commit built again has another rpmdb (install times): its hash is not part of the state. */
const norm = (v: string | undefined): string => (v ?? "").split("\n").filter((l) => !/^[0-9a-f]{64} .*(share\/rpm\/|rpm-ostree-base-db\/)/.test(l)).join("\n")
const dirsOf = (S: string): NsStep => ({ sh: `ls -A ${join(S, "run/strata/live")} 2>/dev/null; true`, file: "dirs" })

const copyWorld = (w: { S: string; D: string }, to: string) => {
  const S = cpA(w.S, to)
  return { S, D: join(S, w.D.slice(w.S.length)) }
}

t.test("apply-live (first of this boot: unlock + apply) killed at every event, then recovered", async (t) => {
  const dir = sysrootTmp(t)
  const w = await makeLiveWorld(t, dir)
  ok(t, lst(w.S, ["install", "hello"], { booted: true }), "install (staged)")
  const staged = (await deployments(w.S, true)).find((d) => d.staged)!.checksum
  const start = (await readLog(w.S)).length
  const clean = copyWorld(w, join(dir, "clean"))
  const c = inNamespace(clean, [view("old"), { args: ["apply-live"] }, view("new")])
  t.equal(c.runs[0]!.status, 0, c.runs[0]!.stderr)
  const [oldView, newView] = [c.files["old"]!, c.files["new"]!]
  t.notMatch(oldView, /MOUNT/)
  t.match(newView, /^MOUNT overlay$/m)
  t.not(oldView, newView)
  const labels = (await labelsOf(clean.S, start)).filter((l) => !/^(Reconciled|BootRecorded|Adopted)/.test(l))
  t.same(labels, ["TransactionStarted:1", "LiveUnlockRequested:1", "LiveUnlocked:1", "LiveApplyRequested:1", "LiveApplied:1", "TransactionCompleted:1"])
  const ponr = labels.indexOf("LiveApplied:1")
  const points: Array<[string, boolean]> = [
    ...labels.map((l, i): [string, boolean] => [l, i >= ponr]),
    ["step:live-mounted", false], ["step:live-half", false], ["step:live-written", false],
  ]
  for (const [label, isNew] of points) {
    const k = copyWorld(w, join(dir, `k-${label.replace(/:/g, "_")}`))
    const dBefore = fingerprint(k.D, notEtc)
    const r = inNamespace(k, [{ args: ["apply-live"], env: { STRATA_CRASH_AT: label } }, { args: ["recover"] }, view("after"), dirsOf(k.S), { args: ["status", "--json"] }, { args: ["apply-live"] }, view("again")])
    const [killed, rec, json, again] = r.runs
    t.equal(killed!.status, -1, `${label}: killed ${killed!.stderr}`)
    t.equal(rec!.status, 0, `${label}: recovered ${rec!.stderr}`)
    t.equal(r.files["after"], isNew ? newView : oldView, `${label}: the running system shows the ${isNew ? "new" : "old"} state`)
    const b = bootedJson(json!.stdout, w.base1)
    t.equal(JSON.parse(json!.stdout).transaction, null, `${label}: nothing in flight`)
    t.equal(b["live-replaced"], isNew ? staged : undefined, `${label}: live-replaced`)
    t.equal(b["live-inprogress"], undefined, `${label}: no live-inprogress`)
    t.equal(b["unlocked"], isNew ? "transient" : "none", `${label}: unlocked`)
    t.equal(r.files["dirs"]!.trim(), isNew ? `${w.base1}.0` : "", `${label}: overlay dir ${isNew ? "kept" : "removed"}`)
    t.equal(again!.status, 0, `${label}: apply-live again ${again!.stderr}`)
    t.equal(r.files["again"], newView, `${label}: then the new state`)
    t.equal(fingerprint(k.D, notEtc), dBefore, `${label}: the deployment directory is unchanged`)
  }
  // recovery killed half-way through its undo, then run again
  for (const [label, undo] of [["LiveApplyRequested:1", "undo:LiveApplyRequested"], ["LiveApplyRequested:1", "undo:LiveUnlocked"], ["step:live-mounted", "undo:LiveUnlockRequested"]] as const) {
    const k = copyWorld(w, join(dir, `r-${label.replace(/:/g, "_")}-${undo.replace(/:/g, "_")}`))
    const r = inNamespace(k, [{ args: ["apply-live"], env: { STRATA_CRASH_AT: label } }, { args: ["recover"], env: { STRATA_CRASH_AT: undo } }, { args: ["recover"] }, view("after")])
    t.same(r.runs.map((x) => x.status), [-1, -1, 0], `${label} then ${undo}: killed, killed, recovered ${r.runs[2]!.stderr}`)
    t.equal(r.files["after"], oldView, `${label} then ${undo}: the old state`)
  }
})

t.test("a second apply-live (onto this boot's overlay) killed at every event: undo writes the source's files back", async (t) => {
  const dir = sysrootTmp(t)
  const w = await makeLiveWorld(t, dir)
  // in each namespace: hello applied live, then world staged; the killed apply-live is world's
  const prefix: NsStep[] = [{ args: ["install", "--apply-live", "hello"] }, { args: ["install", "world"] }, view("old")]
  const clean = copyWorld(w, join(dir, "clean"))
  const start = (await readLog(w.S)).length
  const c = inNamespace(clean, [...prefix, { args: ["apply-live"] }, view("new")])
  t.same(c.runs.map((x) => x.status), [0, 0, 0], c.runs.map((x) => x.stderr).join(""))
  const [oldView, newView] = [c.files["old"]!, c.files["new"]!]
  t.match(oldView, /^\.\/bin\/hello$/m)
  t.notMatch(oldView, /^\.\/bin\/world$/m)
  t.match(newView, /^\.\/bin\/world$/m)
  const labels = (await labelsOf(clean.S, start)).filter((l) => /^Live|^Transaction/.test(l))
  // the third transaction's events (install --apply-live = layer + apply-live, then install)
  t.same(labels.slice(-4), ["TransactionStarted:4", "LiveApplyRequested:2", "LiveApplied:2", "TransactionCompleted:4"], "no unlock: the overlay is there")
  for (const [label, isNew] of [["LiveApplyRequested:1", false], ["step:live-half", false], ["step:live-written", false], ["LiveApplied:1", true]] as const) {
    const k = copyWorld(w, join(dir, `k-${label.replace(/:/g, "_")}`))
    const dBefore = fingerprint(k.D, notEtc)
    const r = inNamespace(k, [...prefix, { args: ["apply-live"], env: { STRATA_CRASH_AT: label } }, { args: ["recover"] }, view("after"), { args: ["apply-live"] }, view("again")])
    const [, , killed, rec, again] = r.runs
    t.equal(killed!.status, -1, `${label}: killed ${killed!.stderr}`)
    t.equal(rec!.status, 0, `${label}: recovered ${rec!.stderr}`)
    t.equal(norm(r.files["old"]), norm(oldView), `${label}: same start`)
    if (isNew) t.equal(norm(r.files["after"]), norm(newView), `${label}: the new state`)
    else t.equal(r.files["after"], r.files["old"], `${label}: exactly the old state (the source's files written back)`)
    t.equal(again!.status, 0, `${label}: apply-live again ${again!.stderr}`)
    t.equal(norm(r.files["again"]), norm(newView), `${label}: then the new state`)
    t.equal(fingerprint(k.D, notEtc), dBefore, `${label}: the deployment directory is unchanged`)
  }
})
