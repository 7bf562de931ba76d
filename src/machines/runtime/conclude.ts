/**
 * What the runner (and a resumed recovery) does once the actor has settled: a final state
 * appends `TransactionCompleted`; anything else re-reads the stream and settles it — undone and
 * `TransactionFailed` before the point of no return, completed after it.
 *
 * A final state may report failure with the output `{ error: string }` (e.g. after an `onError`
 * that chose to stop); a step that throws with no `onError` fails the transaction the same way.
 */
import type { Actor, AnyStateMachine } from "xstate"
import type { EventStore } from "../../events/store.js"
import { TransactionCompleted } from "../../events/types/transaction.js"
import type { TransactionDefinition } from "./definition.js"
import type { DriveResult } from "./drive.js"
import { TransactionError, messageOf } from "./error.js"
import { readTxn } from "./record.js"
import type { Session } from "./session.js"
import { settle, type Settlement } from "./settle.js"

export type Conclusion =
  | { readonly outcome: "completed"; readonly output: unknown }
  /** Ended with TransactionFailed (undone) — or, past the point of no return, completed anyway. */
  | { readonly outcome: "failed"; readonly error: unknown; readonly settlement: Settlement }

const failureOf = (r: DriveResult): unknown => {
  switch (r.status) {
    case "done": {
      const out = r.output as { error?: unknown } | undefined
      return out !== null && typeof out === "object" && typeof out.error === "string" ? new TransactionError({ op: "transaction", reason: "Invalid", detail: out.error }) : undefined
    }
    case "error":
    case "broken":
      return r.error
    case "stalled":
      return new TransactionError({ op: "transaction", reason: "Invalid", detail: `the machine stopped in state ${JSON.stringify(r.value)} with no step running (a transaction machine is always running one named step, or final)` })
  }
}

export interface ConcludeOptions {
  readonly log: EventStore
  readonly def: TransactionDefinition
  readonly sysroot: string
  readonly session: Session
  readonly actor: Actor<AnyStateMachine>
  readonly result: DriveResult
  readonly op: string
}

export const conclude = async (o: ConcludeOptions): Promise<Conclusion> => {
  const failure = failureOf(o.result)
  if (failure === undefined) {
    await o.session.append([TransactionCompleted.make({})])
    o.actor.stop()
    return { outcome: "completed", output: (o.result as { output: unknown }).output }
  }
  // Stop first (aborts a running step's signal), then let its effect and queued appends finish:
  // undo must not race the effect it undoes.
  o.actor.stop()
  await o.session.quiesce()
  const rec = await readTxn(o.log, o.def, o.sysroot, o.session.txn)
  // A step that just failed is not re-run to complete a transaction past its point of no return.
  const settlement = await settle(o.log, o.def, rec, { op: o.op, failure: messageOf(failure), rerun: false })
  return { outcome: "failed", error: failure, settlement }
}
