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
import { txnOf, type Mark, type Projection } from "./fold.js"
import { own, ownAll } from "./own.js"

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

/** Where an event was recorded, kept for good: its own copy of `at` (own.ts). */
const ownMark = (e: EventEnvelope): Mark => ({ pos: e.pos, at: own(e.at) })

const push = (s: HistoryState, entry: HistoryEntry): Cons<HistoryEntry> => ({ head: entry, tail: s.closed })

/** The history fold; `kindOf` says which event types are facts (tests pass their own registry). */
export const makeHistoryProjection = (kindOf: (type: string) => EventKind | undefined = (t) => catalog.get(t)?.kind): Projection<HistoryState> => {
  /**
   * One event into `open` (mutated) — `owned` holds the entries created during this batch, whose
   * `changes` may grow in place; entries from older states are copied before they change.
   * Returns the entry that closed, if any.
   */
  const step = (open: Record<string, TxnHistory>, owned: Set<TxnHistory> | undefined, e: EventEnvelope): HistoryEntry | "open" | undefined => {
    if (BootRecorded.is(e)) {
      const { bootId, deployment, kernel } = e.data
      return { entry: "boot", pos: e.pos, at: own(e.at), bootId: own(bootId), ...(deployment !== undefined ? { deployment: own(deployment) } : {}), ...(kernel !== undefined ? { kernel: own(kernel) } : {}) }
    }
    const txn = txnOf(e)
    if (txn === undefined) return undefined
    if (TransactionStarted.is(e)) {
      const { kind, argv, user, pid } = e.data
      const entry: TxnHistory = { entry: "transaction", txn: own(txn), kind: own(kind), argv: ownAll(argv), user: own(user), pid, started: ownMark(e), outcome: "in-flight", changes: [] }
      open[txn] = entry
      owned?.add(entry)
      return "open"
    }
    const cur = open[txn]
    if (!cur) return undefined
    let done: TxnHistory | undefined
    // Spelled out (the fields and order of an open entry, `ended` appended): a spread that then
    // adds a key was a slow path, once per transaction of a replay.
    if (TransactionCompleted.is(e)) {
      const { txn: id, kind, argv, user, pid, started, changes } = cur
      done = { entry: "transaction", txn: id, kind, argv, user, pid, started, outcome: "completed", changes, ended: ownMark(e) }
    }
    else if (TransactionAborted.is(e)) done = { ...cur, ended: ownMark(e), outcome: "aborted", reason: own(e.data.reason), undone: ownAll(e.data.undone) }
    else if (TransactionFailed.is(e)) done = { ...cur, ended: ownMark(e), outcome: "failed", error: own(e.data.error) }
    if (done) {
      delete open[txn]
      return done
    }
    if (kindOf(e.type) !== "fact") return undefined
    const change = own(describeFact(e))
    if (owned?.has(cur)) (cur.changes as string[]).push(change)
    else {
      const entry: TxnHistory = { ...cur, changes: [...cur.changes, change] }
      open[txn] = entry
      owned?.add(entry)
    }
    return "open"
  }
  return {
    initial: { closed: null, open: {} },
    apply: (s, e: EventEnvelope) => {
      // Cheap exits first: most events change nothing, and then `s` itself is the answer.
      if (!BootRecorded.is(e)) {
        const txn = txnOf(e)
        if (txn === undefined || (!TransactionStarted.is(e) && !s.open[txn])) return s
      }
      const open = { ...s.open }
      const r = step(open, undefined, e)
      if (r === undefined) return s
      return r === "open" ? { closed: s.closed, open } : { closed: push(s, r), open }
    },
    applyAll: (s, events) => {
      let open: Record<string, TxnHistory> | undefined
      let closed = s.closed
      const owned = new Set<TxnHistory>()
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!
        if (!BootRecorded.is(e)) {
          const txn = txnOf(e)
          if (txn === undefined || (!TransactionStarted.is(e) && !(open ?? s.open)[txn])) continue
        }
        const target = (open ??= { ...s.open })
        const r = step(target, owned, e)
        if (r !== undefined && r !== "open") closed = { head: r, tail: closed }
      }
      return open === undefined && closed === s.closed ? s : { closed, open: open ?? s.open }
    },
  }
}

export const historyProjection = makeHistoryProjection()

/** Every entry in log order (a transaction is placed where it started). */
export const historyEntries = (s: HistoryState): HistoryEntry[] => {
  const out: HistoryEntry[] = Object.values(s.open)
  for (let c = s.closed; c; c = c.tail) out.push(c.head)
  const posOf = (x: HistoryEntry): number => (x.entry === "boot" ? x.pos : x.started.pos)
  return out.sort((a, b) => posOf(a) - posOf(b))
}
