/**
 * `runTransaction`: one transaction from lock to terminal event.
 *
 * 1. Lock the sysroot (lock.ts: waits with a message, then refuses with reason Locked, exit 6).
 * 2. Open its event log; finish any transaction a dead runner left in flight (recover.ts); run
 *    `prepare` (the sysroot machines reconcile the log with the disk there).
 * 3. Compute the input (`plan`), then append TransactionStarted (durable) under a new
 *    time-sortable id. A plan that throws (bad input: nothing was touched) is recorded as
 *    TransactionStarted + TransactionFailed {error}, in one batch, and its error rethrown.
 * 4. Run the machine with journaled steps (session.ts): intent → effect → fact per step, each
 *    append one synchronous batch carrying the machine's persisted snapshot.
 * 5. End with exactly one terminal event: TransactionCompleted, or — when a step fails — the
 *    recorded steps undone and TransactionFailed {error}, and the step's own error rethrown
 *    (so the CLI shows it with its exit code). A failure after the point of no return cannot be
 *    undone: the transaction is completed and a TransactionError says so.
 *
 * If the log itself fails the transaction is left in flight for `strata recover`.
 */
import { userInfo } from "node:os"
import type { Actor, AnyStateMachine, InputFrom, OutputFrom } from "xstate"
import type { Registry } from "../../events/registry.js"
import type { EventStore } from "../../events/store.js"
import { TransactionFailed, TransactionStarted, txnStream } from "../../events/types/transaction.js"
import { conclude } from "./conclude.js"
import type { TransactionDefinition } from "./definition.js"
import { drive } from "./drive.js"
import { TransactionError, messageOf } from "./error.js"
import { sysrootPlace, type TransactionPlace } from "./place.js"
import { recoverInflight, type Definitions, type RecoveryReport } from "./recover.js"
import { makeSession } from "./session.js"
import { newTxnId } from "./txn-id.js"

export interface RunOptions<M extends AnyStateMachine> {
  readonly sysroot: string
  /** What to lock and where the log is; default the sysroot's (see place.ts). */
  readonly place?: TransactionPlace
  readonly definition: TransactionDefinition<M>
  /** The machine's input; or give `plan`. */
  readonly input?: InputFrom<M>
  /**
   * Computes the input under the sysroot lock, after interrupted transactions were finished and
   * before anything is recorded — so a plan read from the disk (the current deployments, the
   * next serial) cannot go stale. A plan that throws changes nothing and is recorded as a failed
   * transaction.
   */
  readonly plan?: (ctx: { readonly sysroot: string }) => Promise<InputFrom<M>>
  /**
   * Runs under the lock with the log open, after recovery and before `plan`: what must hold
   * before any transaction starts (the sysroot machines adopt or reconcile the disk here).
   */
  readonly prepare?: (ctx: { readonly sysroot: string; readonly log: EventStore }) => Promise<void>
  /** The command line, for history; default `strata` + this process's arguments. */
  readonly argv?: ReadonlyArray<string>
  /** Who asked; default the process's user name. */
  readonly user?: string
  /** Kinds the pre-start recovery may finish; default just `definition`. */
  readonly definitions?: Definitions
  readonly registry?: Registry
  readonly lockTimeoutMs?: number
  readonly onWait?: (message: string) => void
  /** Progress reported by the running step (e.g. the pull's counters), with the step's name. */
  readonly onProgress?: (step: string, p: unknown) => void
}

export interface RunResult<M extends AnyStateMachine> {
  readonly txn: string
  readonly output: OutputFrom<M>
  /** Interrupted transactions finished before this one started. */
  readonly recovered: ReadonlyArray<RecoveryReport>
}

const currentUser = (): string => {
  try {
    return userInfo().username
  } catch {
    return String(process.getuid?.() ?? "unknown")
  }
}

export const runTransaction = async <M extends AnyStateMachine>(opts: RunOptions<M>): Promise<RunResult<M>> => {
  const def = opts.definition as TransactionDefinition
  const argv = opts.argv ?? ["strata", ...process.argv.slice(2)]
  const place = opts.place ?? sysrootPlace(opts.sysroot)
  const lock = await place.lock({
    op: def.kind,
    holder: { kind: def.kind, argv },
    ...(opts.lockTimeoutMs !== undefined ? { timeoutMs: opts.lockTimeoutMs } : {}),
    ...(opts.onWait ? { onWait: opts.onWait } : {}),
  })
  try {
    const log = await place.openLog(opts.registry ? { registry: opts.registry } : {})
    try {
      const recovered = await recoverInflight(log, opts.sysroot, opts.definitions ?? [def], def.kind)
      await opts.prepare?.({ sysroot: opts.sysroot, log })
      const txn = newTxnId()
      const started = TransactionStarted.make({ kind: def.kind, argv: [...argv], user: opts.user ?? currentUser(), pid: process.pid }, { txn })
      let input: InputFrom<M> | undefined
      try {
        input = opts.plan ? await opts.plan({ sysroot: opts.sysroot }) : opts.input
      } catch (e) {
        // Bad input (a missing ref, an invalid index): nothing was touched, but the attempt and
        // its reason go to the history — started and failed in one batch.
        await log.append(txnStream(txn), 0, [started, { ...TransactionFailed.make({ error: messageOf(e) }), txn }], { sync: true })
        throw e
      }
      await log.append(txnStream(txn), 0, [started], { sync: true })
      const session = makeSession({ log, def, sysroot: opts.sysroot, txn, version: 1, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })
      const actor: Actor<AnyStateMachine> = session.createActor({ input })
      const result = await drive(session, actor)
      const c = await conclude({ log, def, sysroot: opts.sysroot, session, actor, result, op: def.kind })
      if (c.outcome === "completed") return { txn, output: c.output as OutputFrom<M>, recovered }
      if (c.settlement.action === "completed") {
        throw new TransactionError({ op: def.kind, reason: "Io", detail: `failed after the point of no return, so the change is in effect: ${messageOf(c.error)}`, txn })
      }
      throw c.error
    } finally {
      await log.close()
    }
  } finally {
    await lock.release()
  }
}
