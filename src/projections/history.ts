/**
 * `strata history`: every transaction (who, command line, when, outcome, what changed) and every
 * recorded boot, in log order.
 *
 * Finished entries go on an immutable cons list, so each event costs O(1) however long the
 * history is (a copied array would make a 10k-transaction replay quadratic); only the in-flight
 * transactions sit in a small record that is copied on update.
 */
import type { EventEnvelope } from "../events/envelope.js"
import type { EventKind } from "../events/event-def.js"
import { catalog } from "../events/catalog.js"
import { BootRecorded } from "../events/types/system.js"
import { TransactionAborted, TransactionCompleted, TransactionFailed, TransactionStarted } from "../events/types/transaction.js"
import { describeFact } from "./describe.js"
import { markOf, txnOf, type Mark, type Projection } from "./fold.js"

export type Outcome = "completed" | "aborted" | "failed" | "in-flight"

export interface TxnHistory {
  readonly entry: "transaction"
  readonly txn: string
  /** The machine: deploy, rollback, cleanup, … */
  readonly kind: string
  readonly argv: ReadonlyArray<string>
  readonly user: string
  readonly pid: number
  readonly started: Mark
  readonly ended?: Mark
  readonly outcome: Outcome
  /** Why it was aborted. */
  readonly reason?: string
  /** What it failed with. */
  readonly error?: string
  /** What recovery removed. */
  readonly undone?: ReadonlyArray<string>
  /** One line per fact recorded (for an aborted or failed transaction: what was undone). */
  readonly changes: ReadonlyArray<string>
}

export interface BootHistory {
  readonly entry: "boot"
  readonly pos: number
  readonly at: string
  readonly bootId: string
  readonly deployment?: string
  readonly kernel?: string
}

export type HistoryEntry = TxnHistory | BootHistory

interface Cons<T> {
  readonly head: T
  readonly tail: Cons<T> | null
}

export interface HistoryState {
  /** Finished transactions and boots, newest first. */
  readonly closed: Cons<HistoryEntry> | null
  readonly open: Readonly<Record<string, TxnHistory>>
}

const push = (s: HistoryState, entry: HistoryEntry): Cons<HistoryEntry> => ({ head: entry, tail: s.closed })

/** The history fold; `kindOf` says which event types are facts (tests pass their own registry). */
export const makeHistoryProjection = (kindOf: (type: string) => EventKind | undefined = (t) => catalog.get(t)?.kind): Projection<HistoryState> => ({
  initial: { closed: null, open: {} },
  apply: (s, e: EventEnvelope) => {
    if (BootRecorded.is(e)) {
      const { bootId, deployment, kernel } = e.data
      const boot: BootHistory = { entry: "boot", pos: e.pos, at: e.at, bootId, ...(deployment !== undefined ? { deployment } : {}), ...(kernel !== undefined ? { kernel } : {}) }
      return { ...s, closed: push(s, boot) }
    }
    const txn = txnOf(e)
    if (txn === undefined) return s
    if (TransactionStarted.is(e)) {
      const { kind, argv, user, pid } = e.data
      return { ...s, open: { ...s.open, [txn]: { entry: "transaction", txn, kind, argv, user, pid, started: markOf(e), outcome: "in-flight", changes: [] } } }
    }
    const cur = s.open[txn]
    if (!cur) return s
    const close = (done: TxnHistory): HistoryState => {
      const { [txn]: _, ...open } = s.open
      return { closed: push(s, done), open }
    }
    if (TransactionCompleted.is(e)) return close({ ...cur, ended: markOf(e), outcome: "completed" })
    if (TransactionAborted.is(e)) return close({ ...cur, ended: markOf(e), outcome: "aborted", reason: e.data.reason, undone: e.data.undone })
    if (TransactionFailed.is(e)) return close({ ...cur, ended: markOf(e), outcome: "failed", error: e.data.error })
    if (kindOf(e.type) !== "fact") return s
    return { ...s, open: { ...s.open, [txn]: { ...cur, changes: [...cur.changes, describeFact(e)] } } }
  },
})

export const historyProjection = makeHistoryProjection()

/** Every entry in log order (a transaction is placed where it started). */
export const historyEntries = (s: HistoryState): HistoryEntry[] => {
  const out: HistoryEntry[] = Object.values(s.open)
  for (let c = s.closed; c; c = c.tail) out.push(c.head)
  const posOf = (x: HistoryEntry): number => (x.entry === "boot" ? x.pos : x.started.pos)
  return out.sort((a, b) => posOf(a) - posOf(b))
}
