/**
 * A transaction step: one side effect between an intent and a fact (DESIGN.md "Write-ahead
 * discipline"). The step's input IS its intent's payload and its output IS its fact's payload
 * (both without the `snapshot` field the runtime adds), so the log records exactly what was asked
 * and what came of it, and recovery has what it needs to undo a partial effect.
 *
 * `run` is the io call — a promise or an Effect (run with the step's AbortSignal). It must be
 * idempotent: after a restore xstate starts an interrupted invocation again from scratch.
 *
 * In the machine, each step is a named actor (`setup({ actors: stepActors(steps) })`), so it can
 * be persisted and restored by name. The actors `stepActors` returns are placeholders that refuse
 * to run: the runner swaps in journaled ones with `machine.provide({ actors })`.
 */
import * as Effect from "effect/Effect"
import { fromPromise, type PromiseActorLogic } from "xstate"
import type { EventDef } from "../../events/event-def.js"
import { TransactionError } from "./error.js"

/** A step event's payload without the persisted snapshot. */
export type Payload<D> = Omit<D, "snapshot">

export interface StepContext {
  readonly sysroot: string
  readonly txn: string
  /** The step's name in the machine's `actors`. */
  readonly step: string
  /** Aborted when the transaction's actor stops (step errors elsewhere, shutdown). */
  readonly signal: AbortSignal
  /** Progress for whoever started the transaction (a CLI's bar); steps report what they can. */
  readonly progress?: (p: unknown) => void
}

export interface TxnStep<I = any, O = any> {
  readonly intent: EventDef<string, any>
  readonly fact: EventDef<string, any>
  readonly run: (input: I, ctx: StepContext) => PromiseLike<O> | Effect.Effect<O, unknown>
}

/** Declares a step; the types of `run` follow from the two events. */
export const txnStep = <ID, FD>(spec: {
  readonly intent: EventDef<string, ID>
  readonly fact: EventDef<string, FD>
  readonly run: (input: Payload<ID>, ctx: StepContext) => PromiseLike<Payload<FD>> | Effect.Effect<Payload<FD>, unknown>
}): TxnStep<Payload<ID>, Payload<FD>> => spec

export type Steps = Readonly<Record<string, TxnStep>>

export type StepActors<S extends Steps> = {
  readonly [K in keyof S]: S[K] extends TxnStep<infer I, infer O> ? PromiseActorLogic<O, I> : never
}

/** Placeholder actors for `setup({ actors })`: typed like the steps, runnable only by the runner. */
export const stepActors = <S extends Steps>(steps: S): StepActors<S> =>
  Object.fromEntries(
    Object.keys(steps).map((name) => [
      name,
      fromPromise(async () => {
        throw new TransactionError({ op: `step ${name}`, reason: "Invalid", detail: "transaction steps run only under runTransaction (src/machines/runtime)" })
      }),
    ]),
  ) as unknown as StepActors<S>

/** Runs a step's effect, promise or Effect alike. */
export const runStepEffect = <I, O>(step: TxnStep<I, O>, input: I, ctx: StepContext): Promise<O> => {
  const r = step.run(input, ctx)
  return Effect.isEffect(r) ? Effect.runPromise(r as Effect.Effect<O, unknown>, { signal: ctx.signal }) : Promise.resolve(r)
}
