/**
 * The journal of one running transaction: it binds the definition's steps to journaled actors
 * and keeps the log in write-ahead order (DESIGN.md "Write-ahead discipline"):
 *
 *   intent(k)  appended (sync) by step k's actor before its effect starts,
 *   fact(k)    appended (sync) once the effect is durable AND the machine has taken the done
 *              transition, so the snapshot stored with it is the state after step k — restoring
 *              it starts step k+1, never step k again.
 *
 * Every append goes through one promise chain (the one serialized writer) at the stream's
 * expected version; the first failed append poisons the session, so the log can never show a
 * later step without an earlier step's fact.
 */
import { createActor, fromPromise, type Actor, type AnyStateMachine } from "xstate"
import type { NewEvent } from "../../events/envelope.js"
import type { EventStore } from "../../events/store.js"
import { txnStream } from "../../events/types/transaction.js"
import type { TransactionDefinition } from "./definition.js"
import { TransactionError, messageOf } from "./error.js"
import { runStepEffect, type TxnStep } from "./step.js"

export interface SessionOptions {
  readonly log: EventStore
  readonly def: TransactionDefinition
  readonly sysroot: string
  readonly txn: string
  /** The stream's version now: how many events it already holds. */
  readonly version: number
  /** Resuming from a snapshot stored with this intent type: the restarted step must not log it twice. */
  readonly resumedIntent?: string
  /** Progress reported by a running step, with the step's name. */
  readonly onProgress?: (step: string, p: unknown) => void
}

export interface Session {
  readonly txn: string
  /** The definition's machine with the journaled step actors. */
  readonly machine: AnyStateMachine
  /** Creates the actor (fresh with `input`, or restored from `snapshot`) and journals for it. */
  readonly createActor: (opts: { readonly input?: unknown; readonly snapshot?: unknown }) => Actor<AnyStateMachine>
  /** Appends after everything queued before it. */
  readonly append: (events: ReadonlyArray<NewEvent>) => Promise<void>
  /** To call from the actor's observer: queues a finished step's fact with the current snapshot. */
  readonly observe: () => void
  /** No step is running. */
  readonly idle: () => boolean
  readonly failure: () => unknown
  readonly onFailure: (fn: (error: unknown) => void) => void
  /** Waits for a running step's effect and for every queued append to finish. */
  readonly quiesce: () => Promise<void>
}

export const makeSession = (o: SessionOptions): Session => {
  const stream = txnStream(o.txn)
  let version = o.version
  let chain: Promise<void> = Promise.resolve()
  let actor: Actor<AnyStateMachine> | undefined
  let active: string | undefined
  let running: Promise<unknown> = Promise.resolve()
  let pending: NewEvent | undefined
  let skipIntent = o.resumedIntent
  let failure: unknown
  let failed: ((e: unknown) => void) | undefined

  const fail = (e: unknown): void => {
    if (failure !== undefined) return
    failure = e ?? new Error("unknown journal failure")
    failed?.(failure)
  }

  const append = (events: ReadonlyArray<NewEvent>): Promise<void> => {
    const run = chain.then(async () => {
      if (failure !== undefined) throw failure
      try {
        const r = await o.log.append(stream, version, events.map((e) => ({ ...e, txn: o.txn })), { sync: true })
        version = r.version
      } catch (e) {
        fail(e)
        throw e
      }
    })
    chain = run.catch(() => undefined)
    return run
  }

  /** The persisted snapshot as plain JSON data, refusing what could not be restored by name. */
  const snapshot = (): unknown => {
    const snap = actor!.getPersistedSnapshot() as { children?: Record<string, { src?: unknown }> }
    for (const [id, c] of Object.entries(snap.children ?? {})) {
      if (typeof c.src !== "string" || !(c.src in o.def.steps)) {
        throw new TransactionError({ op: `${o.def.kind}: persist snapshot`, reason: "Invalid", detail: `child actor "${id}" is not a named step, so it could not be restored`, txn: o.txn })
      }
    }
    try {
      return JSON.parse(JSON.stringify(snap))
    } catch (e) {
      throw new TransactionError({ op: `${o.def.kind}: persist snapshot`, reason: "Invalid", detail: `machine context must be JSON data: ${messageOf(e)}`, txn: o.txn })
    }
  }

  const bind = (name: string, step: TxnStep) =>
    fromPromise(async ({ input, signal }: { input: unknown; signal: AbortSignal }) => {
      if (active !== undefined) {
        throw new TransactionError({ op: `${o.def.kind}: step ${name}`, reason: "Invalid", detail: `started while step ${active} runs; transaction steps run one at a time`, txn: o.txn })
      }
      active = name
      const work = (async () => {
        // xstate starts an invoked actor before it notifies observers of the transition that
        // started it, and that notification queues the previous step's fact (observe). Yielding
        // once puts our intent after it: fact(k-1) is in the log before intent(k).
        await null
        if (skipIntent !== undefined && skipIntent === step.intent.type) skipIntent = undefined
        else {
          skipIntent = undefined
          await append([step.intent.make({ ...(input as object), snapshot: snapshot() })])
        }
        const out = await runStepEffect(step, input, {
          sysroot: o.sysroot, txn: o.txn, step: name, signal,
          ...(o.onProgress ? { progress: (p: unknown) => o.onProgress!(name, p) } : {}),
        })
        // Check the output against the fact's schema now, so a malformed one fails the step
        // (and the transaction aborts cleanly) instead of breaking the journal later.
        o.log.registry.encodeData(step.fact.type, out)
        pending = step.fact.make(out)
        return out
      })()
      running = work.catch(() => undefined)
      try {
        return await work
      } finally {
        active = undefined
      }
    })

  const actors = Object.fromEntries(Object.entries(o.def.steps).map(([name, step]) => [name, bind(name, step)]))
  const machine = o.def.machine.provide({ actors } as never) as AnyStateMachine

  return {
    txn: o.txn,
    machine,
    createActor: (opts) => {
      actor = (opts.snapshot !== undefined ? createActor(machine, { snapshot: opts.snapshot as never }) : createActor(machine, { input: opts.input })) as Actor<AnyStateMachine>
      return actor
    },
    append,
    observe: () => {
      if (pending === undefined || failure !== undefined) return
      const fact = pending
      pending = undefined
      let data: unknown
      try {
        data = { ...(fact.data as object), snapshot: snapshot() }
      } catch (e) {
        fail(e)
        return
      }
      append([{ ...fact, data }]).catch(() => undefined) // reported through fail()
    },
    idle: () => active === undefined,
    failure: () => failure,
    onFailure: (fn) => {
      failed = fn
      if (failure !== undefined) fn(failure)
    },
    quiesce: async () => {
      await running
      await chain
    },
  }
}
