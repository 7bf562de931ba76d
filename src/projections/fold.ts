/**
 * What a projection is: a pure fold `(state, event) → state` over the event log (DESIGN.md
 * "Projections"). `apply` never mutates its input and does no I/O, so the same function serves
 * the live view (`strata status`), a past view (`strata history --at`) and the tests, which
 * check it with plain event vectors.
 */
import type { EventEnvelope } from "../events/envelope.js"

export interface Projection<S> {
  readonly initial: S
  readonly apply: (state: S, event: EventEnvelope) => S
}

export type StateOf<P> = P extends Projection<infer S> ? S : never

export const fold = <S>(p: Projection<S>, events: Iterable<EventEnvelope>): S => {
  let s = p.initial
  for (const e of events) s = p.apply(s, e)
  return s
}

/** Folds a log reader; `keep` filters events (e.g. a `--at` cutoff). */
export const foldAsync = async <S>(p: Projection<S>, events: AsyncIterable<EventEnvelope>, keep?: (e: EventEnvelope) => boolean): Promise<S> => {
  let s = p.initial
  for await (const e of events) if (!keep || keep(e)) s = p.apply(s, e)
  return s
}

/** Several projections in one pass over the log. */
export const combine = <R extends Record<string, Projection<any>>>(ps: R): Projection<{ readonly [K in keyof R]: StateOf<R[K]> }> => {
  const keys = Object.keys(ps) as Array<keyof R>
  const initial = Object.fromEntries(keys.map((k) => [k, ps[k]!.initial])) as { [K in keyof R]: StateOf<R[K]> }
  return {
    initial,
    apply: (state, e) => {
      let changed = false
      const next: { [K in keyof R]: StateOf<R[K]> } = { ...state }
      for (const k of keys) {
        const v = ps[k]!.apply(state[k], e)
        if (v !== state[k]) {
          changed = true
          next[k] = v
        }
      }
      return changed ? next : state
    },
  }
}

/** The transaction an event belongs to: its `txn` field, or its `txn-<id>` stream. */
export const txnOf = (e: EventEnvelope): string | undefined => e.txn ?? (e.stream.startsWith("txn-") ? e.stream.slice(4) : undefined)

/** Where and when an event was recorded: the reference projections keep. */
export interface Mark {
  readonly pos: number
  readonly at: string
}

export const markOf = (e: EventEnvelope): Mark => ({ pos: e.pos, at: e.at })
