/**
 * Transactions without a terminal event: what `strata recover` (and daemon start) must finish.
 * With the sysroot lock held, every one of them belongs to a runner that died.
 */
import type { EventEnvelope } from "../events/envelope.js"
import { TransactionStarted } from "../events/types/transaction.js"
import { markOf, txnOf, type Mark, type Projection } from "./fold.js"

export interface InflightTxn {
  readonly txn: string
  readonly kind: string
  readonly argv: ReadonlyArray<string>
  readonly user: string
  readonly pid: number
  readonly started: Mark
  /** The last event of the transaction. */
  readonly last: Mark & { readonly type: string; readonly seq: number }
  /** Step events recorded so far. */
  readonly steps: number
}

export type InflightState = Readonly<Record<string, InflightTxn>>

const apply = (s: InflightState, e: EventEnvelope): InflightState => {
  const txn = txnOf(e)
  if (txn === undefined) return s
  if (TransactionStarted.is(e)) {
    const { kind, argv, user, pid } = e.data
    return { ...s, [txn]: { txn, kind, argv, user, pid, started: markOf(e), last: { ...markOf(e), type: e.type, seq: e.seq }, steps: 0 } }
  }
  const cur = s[txn]
  if (!cur) return s
  if (isTerminal(e.type)) {
    const { [txn]: _, ...rest } = s
    return rest
  }
  return { ...s, [txn]: { ...cur, last: { ...markOf(e), type: e.type, seq: e.seq }, steps: cur.steps + 1 } }
}

const TERMINAL = new Set(["TransactionCompleted", "TransactionAborted", "TransactionFailed"])
export const isTerminal = (type: string): boolean => TERMINAL.has(type)

export const inflightProjection: Projection<InflightState> = { initial: {}, apply }

/** In-flight transactions, oldest first. */
export const listInflight = (s: InflightState): InflightTxn[] => Object.values(s).sort((a, b) => a.started.pos - b.started.pos)
