/**
 * Ending a transaction that did not finish by itself — interrupted (recovery) or failed (the
 * runner) — by the rules of DESIGN.md "Transactions as machines":
 *
 * - before the point of no return: undo every recorded step, newest first, then append
 *   `TransactionAborted {reason, undone}` (or `TransactionFailed {error}` for a failure);
 * - at it: the definition's probe reads the disk and picks one of the two others;
 * - after it: append the missing facts and `TransactionCompleted` in ONE batch.
 *
 * Re-runnable: undo functions are idempotent and the terminal event is appended last, at the
 * stream's expected version, so an interrupted settlement simply happens again.
 */
import type { EventEnvelope, NewEvent } from "../../events/envelope.js"
import type { EventStore } from "../../events/store.js"
import { TransactionAborted, TransactionCompleted, TransactionFailed, txnStream } from "../../events/types/transaction.js"
import { reasonOfErrno, type Reason } from "../../lib/error.js"
import { crashPoint } from "./crash.js"
import { pointOfNoReturnStep, type RecordedStep, type TransactionDefinition, type UndoFn } from "./definition.js"
import { TransactionError, messageOf } from "./error.js"
import { sideOf, type RecordedTxn } from "./record.js"
import { runStepEffect } from "./step.js"

export type Settlement =
  | { readonly action: "aborted" | "failed"; readonly undone: ReadonlyArray<string>; readonly probed: boolean }
  | {
      readonly action: "completed"
      readonly appended: ReadonlyArray<string>
      readonly probed: boolean
      /** Re-running the interrupted step failed: completed without its fact (cleanup finishes it later). */
      readonly unfinished?: string
    }

export interface SettleOptions {
  /** Names the caller in errors: "recover <txn>", "deploy". */
  readonly op: string
  /** Set when the transaction failed: ends it with TransactionFailed instead of Aborted. */
  readonly failure?: string
  /** Why it is aborted (TransactionAborted.reason), when it is. */
  readonly reason?: string
  /** Re-run an interrupted step past the point of no return (default true; see finishInterrupted). */
  readonly rerun?: boolean
}

const reasonOf = (e: unknown): Reason => {
  const r = (e as { reason?: unknown })?.reason
  return typeof r === "string" ? (r as Reason) : reasonOfErrno((e as { code?: unknown })?.code)
}

/** The undo to call for a step and the event to give it (see TransactionDefinition.undo). */
const undoFor = (def: TransactionDefinition, step: RecordedStep): [UndoFn, EventEnvelope] | undefined => {
  if (step.fact && def.undo[step.fact.type]) return [def.undo[step.fact.type]!, step.fact]
  if (step.intent && def.undo[step.intent.type]) return [def.undo[step.intent.type]!, step.intent]
  return undefined
}

/** A definition's hook, its failure named and left for a later `strata recover`. */
const guarded = async <A>(o: SettleOptions, rec: RecordedTxn, what: string, f: () => Promise<A> | A): Promise<A> => {
  try {
    return await f()
  } catch (e) {
    throw new TransactionError({ op: `${o.op}: ${what}`, reason: reasonOf(e), detail: `${messageOf(e)}; the transaction is left for \`strata recover\``, txn: rec.txn })
  }
}

const abort = async (log: EventStore, def: TransactionDefinition, rec: RecordedTxn, o: SettleOptions, reason: string, probed: boolean): Promise<Settlement> => {
  const undone: string[] = []
  for (const step of [...rec.steps].reverse()) {
    const found = undoFor(def, step)
    if (!found) continue
    const [fn, event] = found
    try {
      undone.push(...((await fn(event, { ...rec, step })) ?? []))
    } catch (e) {
      throw new TransactionError({ op: `${o.op}: undo ${event.type}`, reason: reasonOf(e), detail: `${messageOf(e)}; the transaction is left for \`strata recover\``, txn: rec.txn })
    }
    crashPoint(`undo:${event.type}`)
  }
  const terminal = o.failure !== undefined ? TransactionFailed.make({ error: o.failure }) : TransactionAborted.make({ reason, undone })
  await log.append(txnStream(rec.txn), rec.version, [{ ...terminal, txn: rec.txn }], { sync: true })
  return { action: o.failure !== undefined ? "failed" : "aborted", undone, probed }
}

/**
 * The default completion: a step after the point of no return that was interrupted (intent, no
 * fact) may have left a half-done effect, so run it again — steps are idempotent, and its input
 * is its intent — and record its fact. Steps never started are left alone (e.g. the removal of
 * an old deployment stays for the next cleanup). The step that crosses the point of no return is
 * re-run the same way when the probe found it crossed.
 */
const finishInterrupted = async (log: EventStore, def: TransactionDefinition, rec: RecordedTxn, o: SettleOptions, probed: boolean): Promise<{ events: NewEvent[]; unfinished?: string }> => {
  const last = rec.steps.at(-1)
  if (o.rerun === false || !last?.intent || last.fact) return { events: [] }
  // Past the point of no return; or interrupted in the step that crosses it, after the probe saw
  // it crossed — that step's remaining work (e.g. removing a staged deployment's state file
  // after the rename) is finished by re-running it too.
  const crossed = rec.steps.some((s) => s.fact?.type === def.pointOfNoReturn) || (probed && last.name === pointOfNoReturnStep(def))
  if (!crossed) return { events: [] }
  const step = def.steps[last.name]!
  const { snapshot: _, ...input } = last.intent.data as Record<string, unknown>
  try {
    const out = await runStepEffect(step, input, { sysroot: rec.sysroot, txn: rec.txn, step: last.name, signal: new AbortController().signal })
    log.registry.encodeData(step.fact.type, out) // a malformed fact must not sink the terminal batch
    return { events: [step.fact.make(out)] }
  } catch (e) {
    // Past the point of no return there is no going back, and a step that fails every time must
    // not wedge the sysroot (every later transaction recovers first): complete without its fact.
    return { events: [], unfinished: `${last.name}: ${messageOf(e)}` }
  }
}

const complete = async (log: EventStore, def: TransactionDefinition, rec: RecordedTxn, o: SettleOptions, probed: boolean): Promise<Settlement> => {
  const finished = def.complete ? { events: [...(await guarded(o, rec, "complete", () => def.complete!(rec)))] } : await finishInterrupted(log, def, rec, o, probed)
  const missing: NewEvent[] = finished.events
  const crossed = rec.steps.some((s) => s.fact?.type === def.pointOfNoReturn) || missing.some((e) => e.type === def.pointOfNoReturn)
  if (!crossed) {
    // Probed "after": the swap happened but its fact was never written. Rebuild it from the intent.
    const name = pointOfNoReturnStep(def)!
    const intent = rec.steps.at(-1)?.intent
    if (!intent) throw new TransactionError({ op: o.op, reason: "Corrupt", detail: `no ${def.steps[name]!.intent.type} to rebuild ${def.pointOfNoReturn} from`, txn: rec.txn })
    const { snapshot: _, ...data } = intent.data as Record<string, unknown>
    try {
      log.registry.encodeData(def.pointOfNoReturn, data)
    } catch (e) {
      throw new TransactionError({ op: o.op, reason: "Invalid", detail: `cannot build ${def.pointOfNoReturn} from ${intent.type} (${messageOf(e)}); the definition needs complete()`, txn: rec.txn })
    }
    missing.unshift(def.steps[name]!.fact.make(data))
  }
  const events = [...missing, TransactionCompleted.make({})].map((e) => ({ ...e, txn: rec.txn }))
  await log.append(txnStream(rec.txn), rec.version, events, { sync: true })
  return { action: "completed", appended: events.map((e) => e.type), probed, ...(finished.unfinished !== undefined ? { unfinished: finished.unfinished } : {}) }
}

export const settle = async (log: EventStore, def: TransactionDefinition, rec: RecordedTxn, o: SettleOptions): Promise<Settlement> => {
  const side = sideOf(def, rec.steps)
  if (side === "after") return complete(log, def, rec, o, false)
  if (side === "before") return abort(log, def, rec, o, o.reason ?? "interrupted before the point of no return", false)
  const seen = def.probe ? await guarded(o, rec, "probe", () => def.probe!(rec)) : "before"
  return seen === "after"
    ? complete(log, def, rec, o, true)
    : abort(log, def, rec, o, o.reason ?? "interrupted at the point of no return; the disk shows the old state", true)
}
