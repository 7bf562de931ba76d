/**
 * Recovery (DESIGN.md "Transactions as machines"), run by `strata recover`, at daemon start, and
 * by the runner before it starts a transaction: every transaction without a terminal event is
 * finished by its definition's policy —
 *
 * - `resume`: restore the snapshot stored with its last step event and run on (the interrupted
 *   step starts again: steps are idempotent); if the snapshot cannot be restored, fall back to:
 * - `abort-or-complete`: see settle.ts (undo before the point of no return, complete after it,
 *   probe the disk at it).
 *
 * Holding the sysroot lock, every in-flight transaction belongs to a dead runner. Recovery is
 * itself crash-safe: each way of ending appends the terminal event last, so a killed recovery
 * finds the same transaction in flight and does the same again.
 */
import type { EventStore } from "../../events/store.js"
import type { Registry } from "../../events/registry.js"
import { EventLogError } from "../../events/error.js"
import { listInflight } from "../../projections/inflight.js"
import { conclude } from "./conclude.js"
import { stepRoles, type TransactionDefinition } from "./definition.js"
import { drive } from "./drive.js"
import { logView } from "./log-view.js"
import { TransactionError, messageOf } from "./error.js"
import { sysrootPlace, type TransactionPlace } from "./place.js"
import { readTxn, type RecordedTxn } from "./record.js"
import { makeSession } from "./session.js"
import { settle } from "./settle.js"

export interface RecoveryReport {
  readonly txn: string
  readonly kind: string
  /** resumed = restored from its snapshot and run to the end. */
  readonly action: "aborted" | "completed" | "resumed" | "failed"
  /** Whether the disk had to be read (interrupted at the point of no return). */
  readonly probed: boolean
  readonly undone?: ReadonlyArray<string>
  /** A resumed transaction that failed; or why a resume fell back to abort-or-complete. */
  readonly error?: string
}

/**
 * The transaction kinds a recovery can finish, or a loader for them: a command loads every
 * machine (and what they import: remotes, rpm, layering) only when an interrupted transaction
 * is actually there to finish — start-up is part of every command's time.
 */
export type Definitions = ReadonlyArray<TransactionDefinition> | (() => Promise<ReadonlyArray<TransactionDefinition>>)

export interface RecoverOptions {
  readonly sysroot: string
  /** What to lock and where the log is; default the sysroot's (see place.ts). */
  readonly place?: TransactionPlace
  /** The transaction kinds this recovery knows (src/machines/index.ts lists strata's). */
  readonly definitions: Definitions
  /** A registry with extra event types (tests). */
  readonly registry?: Registry
  readonly lockTimeoutMs?: number
  readonly onWait?: (message: string) => void
}

const resume = async (log: EventStore, def: TransactionDefinition, rec: RecordedTxn): Promise<RecoveryReport | string> => {
  const last = [...rec.events].reverse().find((e) => (e.data as { snapshot?: unknown } | undefined)?.snapshot !== undefined)
  if (!last) return "no snapshot was recorded"
  const roles = stepRoles(def)
  const session = makeSession({
    log,
    def,
    sysroot: rec.sysroot,
    txn: rec.txn,
    version: rec.version,
    ...(roles.get(last.type)?.role === "intent" ? { resumedIntent: last.type } : {}),
  })
  let actor
  try {
    actor = session.createActor({ snapshot: (last.data as { snapshot: unknown }).snapshot })
    // xstate turns a snapshot it cannot restore (unknown state value, …) into an error status.
    const snap = actor.getSnapshot()
    if (snap.status === "error") throw snap.error
  } catch (e) {
    return `its snapshot could not be restored (${messageOf(e)})`
  }
  const result = await drive(session, actor)
  const c = await conclude({ log, def, sysroot: rec.sysroot, session, actor, result, op: `recover ${rec.txn}` })
  if (c.outcome === "completed") return { txn: rec.txn, kind: rec.kind, action: "resumed", probed: false }
  const s = c.settlement
  return { txn: rec.txn, kind: rec.kind, action: s.action === "completed" ? "completed" : "failed", probed: s.probed, error: messageOf(c.error), ...(s.action !== "completed" ? { undone: s.undone } : {}) }
}

const recoverOne = async (log: EventStore, def: TransactionDefinition, sysroot: string, txn: string): Promise<RecoveryReport> => {
  const rec = await readTxn(log, def, sysroot, txn)
  let fallback: string | undefined
  if (def.policy === "resume") {
    const r = await resume(log, def, rec)
    if (typeof r !== "string") return r
    fallback = r
  }
  const op = `recover ${txn}`
  const s = await settle(log, def, rec, fallback ? { op, reason: `interrupted; ${fallback}` } : { op })
  return {
    txn,
    kind: rec.kind,
    action: s.action === "completed" ? "completed" : "aborted",
    probed: s.probed,
    ...(s.action !== "completed" ? { undone: s.undone } : {}),
    ...(fallback || (s.action === "completed" && s.unfinished) ? { error: [fallback, s.action === "completed" ? s.unfinished : undefined].filter(Boolean).join("; ") } : {}),
  }
}

/** With the lock held and the log open: finishes every in-flight transaction, oldest first. */
export const recoverInflight = async (
  log: EventStore,
  sysroot: string,
  definitions: Definitions,
  /** Who asks: "recover" itself, or the kind of transaction about to start. */
  by = "recover",
): Promise<RecoveryReport[]> => {
  const inflight = listInflight((await logView(log)).inflight)
  const reports: RecoveryReport[] = []
  const unknown: string[] = []
  if (inflight.length === 0) return reports
  const known = typeof definitions === "function" ? await definitions() : definitions
  for (const t of inflight) {
    const def = known.find((d) => d.kind === t.kind)
    if (def) reports.push(await recoverOne(log, def, sysroot, t.txn))
    else unknown.push(`${t.txn} (${t.kind})`)
  }
  if (unknown.length) {
    throw new TransactionError({
      op: by,
      reason: "Unsupported",
      detail: `interrupted transaction${unknown.length > 1 ? "s" : ""} of a kind this ${by === "recover" ? "strata does not know" : "command cannot finish"}: ${unknown.join(", ")}${by === "recover" ? "" : "; run `strata recover`"}`,
    })
  }
  return reports
}

export const recover = async (opts: RecoverOptions): Promise<RecoveryReport[]> => {
  const place = opts.place ?? sysrootPlace(opts.sysroot)
  const lock = await place.lock({
    op: "recover",
    holder: { kind: "recover", argv: process.argv.slice(1) },
    ...(opts.lockTimeoutMs !== undefined ? { timeoutMs: opts.lockTimeoutMs } : {}),
    ...(opts.onWait ? { onWait: opts.onWait } : {}),
  })
  try {
    let log: EventStore
    try {
      log = await place.openLog({ create: false, ...(opts.registry ? { registry: opts.registry } : {}) })
    } catch (e) {
      if (e instanceof EventLogError && e.reason === "NotFound") return [] // strata never ran here
      throw e
    }
    try {
      return await recoverInflight(log, opts.sysroot, opts.definitions)
    } finally {
      await log.close()
    }
  } finally {
    await lock.release()
  }
}
