/**
 * A transaction kind as data (see src/machines/README.md): its machine, its steps, its point of
 * no return, and how recovery treats it. Recovery reads nothing but this and the log.
 */
import type { AnyStateMachine } from "xstate"
import type { EventEnvelope, NewEvent } from "../../events/envelope.js"
import { TransactionError } from "./error.js"
import type { Steps } from "./step.js"

/**
 * - `abort-or-complete`: an interrupted transaction is undone if it stopped before its point of
 *   no return, completed (missing facts appended) if after it, and decided by `probe` if at it.
 * - `resume`: every step is idempotent, so recovery restores the last persisted snapshot and
 *   runs on; if the snapshot cannot be restored (the machine changed), it falls back to the
 *   abort-or-complete rules.
 */
export type RecoveryPolicy = "abort-or-complete" | "resume"

/** One step as the log shows it: its intent and, once the effect was durable, its fact. */
export interface RecordedStep {
  readonly name: string
  /** Absent only for facts that recovery appended itself. */
  readonly intent?: EventEnvelope<string, any>
  readonly fact?: EventEnvelope<string, any>
}

export interface RecoveryContext {
  readonly sysroot: string
  readonly txn: string
  readonly kind: string
  /** The transaction's stream, TransactionStarted first. */
  readonly events: ReadonlyArray<EventEnvelope>
  readonly steps: ReadonlyArray<RecordedStep>
}

export interface UndoContext extends RecoveryContext {
  readonly step: RecordedStep
}

/**
 * Undoes one recorded step; idempotent (recovery may be interrupted and re-run). Returns what it
 * removed, for `TransactionAborted.undone` — name the target whether or not it still existed, so
 * a re-run reports the same list.
 */
export type UndoFn = (event: EventEnvelope<string, any>, ctx: UndoContext) => Promise<ReadonlyArray<string> | void>

export type Side = "before" | "after"

export interface TransactionDefinition<M extends AnyStateMachine = AnyStateMachine> {
  /** deploy, rollback, cleanup, …: TransactionStarted.kind, and how recovery finds this. */
  readonly kind: string
  readonly machine: M
  /** The machine's step actors by name (the same object given to `stepActors`). */
  readonly steps: Steps
  /** The fact type whose recording commits the transaction (e.g. BootloaderSwapped). */
  readonly pointOfNoReturn: string
  readonly policy: RecoveryPolicy
  /**
   * By event type. For each recorded step, newest first, recovery calls the undo of its fact if
   * the fact was recorded (falling back to the undo of its intent), else the undo of its intent —
   * an intent without a fact means the effect may be partial.
   */
  readonly undo: Readonly<Record<string, UndoFn>>
  /**
   * Interrupted at the point of no return (its intent recorded, its fact not): read the disk to
   * learn which side won (e.g. readlink boot/loader). Without a probe, "before".
   */
  readonly probe?: (ctx: RecoveryContext) => Promise<Side>
  /**
   * Interrupted after the point of no return: the facts to append so the log matches the disk.
   * Without it, recovery re-runs the interrupted step (intent recorded, fact not; steps are
   * idempotent) so no half-done effect stays, and records its fact; later steps are skipped.
   * When the point of no return's own fact is missing (probe said "after"), recovery builds it
   * from the intent's payload, which works when the two events have the same fields.
   */
  readonly complete?: (ctx: RecoveryContext) => Promise<ReadonlyArray<NewEvent>>
}

/** Where an event type sits in a definition. */
export interface StepRole {
  readonly name: string
  readonly role: "intent" | "fact"
}

export const stepRoles = (def: TransactionDefinition): Map<string, StepRole> => {
  const roles = new Map<string, StepRole>()
  for (const [name, s] of Object.entries(def.steps)) {
    roles.set(s.intent.type, { name, role: "intent" })
    roles.set(s.fact.type, { name, role: "fact" })
  }
  return roles
}

/** The name of the step whose fact is the point of no return. */
export const pointOfNoReturnStep = (def: TransactionDefinition): string | undefined =>
  Object.entries(def.steps).find(([, s]) => s.fact.type === def.pointOfNoReturn)?.[0]

/** Checks a definition's shape once, where it is written, so mistakes fail at load, not in recovery. */
export const defineTransaction = <M extends AnyStateMachine>(def: TransactionDefinition<M>): TransactionDefinition<M> => {
  const op = `define transaction ${def.kind}`
  const bad = (detail: string): never => {
    throw new TransactionError({ op, reason: "Invalid", detail })
  }
  if (!/^[a-z][a-z0-9-]*$/.test(def.kind)) bad(`kind must be lower-case words joined by "-", got "${def.kind}"`)
  const types = new Map<string, string>()
  for (const [name, s] of Object.entries(def.steps)) {
    if (s.intent.kind !== "intent" || !s.intent.step) bad(`step ${name}: ${s.intent.type} is not an intent step event (defineStep(…, "intent", …))`)
    if (s.fact.kind !== "fact" || !s.fact.step) bad(`step ${name}: ${s.fact.type} is not a fact step event (defineStep(…, "fact", …))`)
    for (const t of [s.intent.type, s.fact.type]) {
      if (types.has(t)) bad(`event type ${t} is used by steps ${types.get(t)} and ${name}; pairing needs each type in one step`)
      types.set(t, name)
    }
  }
  if (!pointOfNoReturnStep(def)) bad(`pointOfNoReturn ${def.pointOfNoReturn} is not the fact of any step`)
  for (const t of Object.keys(def.undo)) if (!types.has(t)) bad(`undo for ${t}: not an event of any step`)
  const actors = Object.keys((def.machine.implementations as { actors?: Record<string, unknown> }).actors ?? {})
  for (const name of Object.keys(def.steps)) if (!actors.includes(name)) bad(`step ${name} is not among the machine's actors (setup({ actors: stepActors(steps) }))`)
  for (const name of actors) if (!(name in def.steps)) bad(`actor ${name} is not a step: every actor of a transaction machine must be a journaled step`)
  return def
}
