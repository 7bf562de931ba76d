/**
 * Reading one transaction back from its stream: its steps paired intent → fact, and where it
 * stands relative to its point of no return. Steps run one at a time, so a fact belongs to the
 * latest open intent of its step.
 */
import type { EventEnvelope } from "../../events/envelope.js"
import type { EventStore } from "../../events/store.js"
import { TransactionStarted, txnStream } from "../../events/types/transaction.js"
import { pointOfNoReturnStep, stepRoles, type RecordedStep, type RecoveryContext, type TransactionDefinition } from "./definition.js"
import { TransactionError } from "./error.js"

export interface RecordedTxn extends RecoveryContext {
  /** The stream's version: its number of events. */
  readonly version: number
  readonly terminal?: EventEnvelope
}

export const pairSteps = (def: TransactionDefinition, events: ReadonlyArray<EventEnvelope>): RecordedStep[] => {
  const roles = stepRoles(def)
  const steps: RecordedStep[] = []
  for (const e of events) {
    const r = roles.get(e.type)
    if (!r) continue
    if (r.role === "intent") {
      steps.push({ name: r.name, intent: e })
      continue
    }
    let open = -1
    for (let i = steps.length - 1; i >= 0; i--) if (steps[i]!.name === r.name && !steps[i]!.fact) (open = i), (i = -1)
    if (open >= 0) steps[open] = { ...steps[open]!, fact: e }
    else steps.push({ name: r.name, fact: e })
  }
  return steps
}

/** "at": the point-of-no-return step's intent is the last thing recorded and its fact is not. */
export const sideOf = (def: TransactionDefinition, steps: ReadonlyArray<RecordedStep>): "before" | "at" | "after" => {
  if (steps.some((s) => s.fact?.type === def.pointOfNoReturn)) return "after"
  const last = steps.at(-1)
  return last && last.intent && !last.fact && last.name === pointOfNoReturnStep(def) ? "at" : "before"
}

const TERMINAL = new Set(["TransactionCompleted", "TransactionAborted", "TransactionFailed"])

export const readTxn = async (log: EventStore, def: TransactionDefinition, sysroot: string, txn: string): Promise<RecordedTxn> => {
  const events: EventEnvelope[] = []
  for await (const e of log.readStream(txnStream(txn))) events.push(e)
  const first = events[0]
  if (!first || !TransactionStarted.is(first)) {
    throw new TransactionError({ op: `read transaction`, reason: "Corrupt", detail: `stream ${txnStream(txn)} does not begin with TransactionStarted`, txn })
  }
  const terminal = events.find((e) => TERMINAL.has(e.type))
  return {
    sysroot,
    txn,
    kind: first.data.kind,
    events,
    steps: pairSteps(def, events),
    version: events.at(-1)!.seq,
    ...(terminal ? { terminal } : {}),
  }
}
