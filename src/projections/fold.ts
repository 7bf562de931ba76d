/**
 * What a projection is: a pure fold `(state, event) → state` over the event log (DESIGN.md
 * "Projections"). `apply` never mutates its input and does no I/O, so the same function serves
 * the live view (`strata status`), a past view (`strata history --at`) and the tests, which
 * check it with plain event vectors.
 *
 * Replays fold a storage batch at a time (`applyAll`, `foldLog`): a projection may give an
 * `applyAll` that works on private mutable copies inside the call — copying the whole state per
 * event was most of a 100k-event replay — as long as it never mutates its input state or the
 * events, and returns what `apply` one event after the other would (the tests check both ways).
 */
import type { EventEnvelope } from "../events/envelope.js"
import type { ReadRange } from "../events/store.js"

export interface Projection<S> {
  readonly initial: S
  readonly apply: (state: S, event: EventEnvelope) => S
  /** Optional: `events` folded in order, equal to `apply` one by one (returns `state` itself if nothing changed). */
  readonly applyAll?: (state: S, events: ReadonlyArray<EventEnvelope>) => S
}

export type StateOf<P> = P extends Projection<infer S> ? S : never

/**
 * Folds already done inside the current `combine` batch: a projection derived from another (the
 * bootloader folds deployments) asks for the same fold of the same batch from the same state as
 * the other projection did, and gets the result instead of a second fold. Scoped to one
 * synchronous `combine.applyAll` call, so nothing can change the events in between.
 */
let batchMemo: Map<Projection<unknown>, { readonly state: unknown; readonly events: ReadonlyArray<EventEnvelope>; readonly result: unknown }> | undefined

/** `events` folded into `state`, through `applyAll` when the projection has one. */
export const applyEvents = <S>(p: Projection<S>, state: S, events: ReadonlyArray<EventEnvelope>): S => {
  const done = batchMemo?.get(p as Projection<unknown>)
  if (done !== undefined && done.state === state && done.events === events) return done.result as S
  let s = state
  if (p.applyAll) s = p.applyAll(state, events)
  else for (let i = 0; i < events.length; i++) s = p.apply(s, events[i]!)
  batchMemo?.set(p as Projection<unknown>, { state, events, result: s })
  return s
}

export const fold = <S>(p: Projection<S>, events: Iterable<EventEnvelope>): S =>
  applyEvents(p, p.initial, Array.isArray(events) ? (events as ReadonlyArray<EventEnvelope>) : [...events])

/** Folds a per-event reader; `keep` filters events (e.g. a `--at` cutoff). Replays use `foldLog`. */
export const foldAsync = async <S>(p: Projection<S>, events: AsyncIterable<EventEnvelope>, keep?: (e: EventEnvelope) => boolean): Promise<S> => {
  let s = p.initial
  for await (const e of events) if (!keep || keep(e)) s = p.apply(s, e)
  return s
}

/** Folds batches of events (a store's `readChunks`), each synchronously. */
export const foldChunks = async <S>(
  p: Projection<S>,
  chunks: AsyncIterable<ReadonlyArray<EventEnvelope>>,
  opts: { readonly keep?: (e: EventEnvelope) => boolean; readonly from?: S } = {},
): Promise<S> => {
  let s = opts.from ?? p.initial
  for await (const chunk of chunks) s = applyEvents(p, s, opts.keep ? chunk.filter(opts.keep) : chunk)
  return s
}

/** What `foldLog` needs of a log: its batch reader (an EventStore has it). */
export interface ChunkSource {
  readonly readChunks: (range?: ReadRange) => AsyncIterable<ReadonlyArray<EventEnvelope>>
}

/** A projection over a log (or a range of it): the replay path of status, history, recovery. */
export const foldLog = <S>(p: Projection<S>, log: ChunkSource, opts: { readonly range?: ReadRange; readonly keep?: (e: EventEnvelope) => boolean } = {}): Promise<S> =>
  foldChunks(p, log.readChunks(opts.range), opts.keep ? { keep: opts.keep } : {})

/** Several projections in one pass over the log. */
export const combine = <R extends Record<string, Projection<any>>>(ps: R): Projection<{ readonly [K in keyof R]: StateOf<R[K]> }> => {
  const keys = Object.keys(ps) as Array<keyof R>
  const initial = Object.fromEntries(keys.map((k) => [k, ps[k]!.initial])) as { [K in keyof R]: StateOf<R[K]> }
  return {
    initial,
    applyAll: (state, events) => {
      let changed = false
      const next: { [K in keyof R]: StateOf<R[K]> } = { ...state }
      const outer = batchMemo
      batchMemo = new Map()
      try {
        for (const k of keys) {
          const v = applyEvents(ps[k]!, state[k], events)
          if (v !== state[k]) {
            changed = true
            next[k] = v
          }
        }
      } finally {
        batchMemo = outer
      }
      return changed ? next : state
    },
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
