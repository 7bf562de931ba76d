/**
 * Crash points for the crash-safety tests (DESIGN.md "Testing"). `STRATA_CRASH_AT=<label>[:n]`
 * SIGKILLs this process right after the n-th (default 1st) time `label` is reached:
 *
 * - an event type (`DeploymentWritten`): once the append holding that event is durable — the
 *   event log's `onAppend` hook, installed by the runner and by recovery;
 * - `undo:<EventType>`: once recovery has undone the step recorded by that event, before the
 *   terminal event — to test that recovery itself can be interrupted and re-run;
 * - any label an io function passes to `crashPoint` (like ostree's OSTREE_REPO_TEST_ERROR), e.g.
 *   half-way through writing a deployment.
 *
 * SIGKILL, not exit: no finally blocks, no flushing — what a power cut leaves, minus the page
 * cache. Counts are per process. Unset, every hook is a cheap no-op.
 */
import type { AppendResult } from "../../events/store.js"

export interface CrashSpec {
  readonly label: string
  readonly n: number
}

export const parseCrashAt = (value: string | undefined): CrashSpec | undefined => {
  if (!value) return undefined
  const m = /^(.*):(\d+)$/.exec(value)
  return m ? { label: m[1]!, n: Math.max(1, Number(m[2])) } : { label: value, n: 1 }
}

const seen = new Map<string, number>()
let parsedFrom: string | undefined
let spec: CrashSpec | undefined

const current = (): CrashSpec | undefined => {
  const raw = process.env["STRATA_CRASH_AT"]
  if (raw !== parsedFrom) {
    parsedFrom = raw
    spec = parseCrashAt(raw)
  }
  return spec
}

/** Marks that `label` was reached; dies here if it is the configured crash point. */
export const crashPoint = (label: string): void => {
  const s = current()
  if (!s || s.label !== label) return
  const n = (seen.get(label) ?? 0) + 1
  seen.set(label, n)
  if (n === s.n) die()
}

/** SIGKILL to ourselves, then block so not one more statement runs before the kernel acts. */
const die = (): never => {
  process.kill(process.pid, "SIGKILL")
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000)
}

/** The event log's onAppend hook: every event of a durable append is a crash point. */
export const crashOnAppend = (result: AppendResult): void => {
  if (!current()) return
  for (const e of result.events) crashPoint(e.type)
}
