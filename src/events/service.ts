/**
 * The Effect face of the event log: `EventLog` service with a LevelDB layer and a memory layer
 * (the test fake). Both wrap the same store (store.ts) over a different KV; the LevelDB handle
 * is held open for the layer's scope with acquireRelease.
 */
// Deep imports: the "effect" barrel costs ~200 ms of CLI start-up.
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { EventEnvelope, ExpectedVersion, Head, NewEvent } from "./envelope.js"
import { storageError, type AnyEventLogError } from "./error.js"
import { openEventLog, openMemoryEventLog, type MemoryEventLogOptions, type OpenEventLogOptions } from "./open.js"
import type { Registry } from "./registry.js"
import type { AppendOptions, AppendResult, EventStore, ReadRange } from "./store.js"
import type { VerifyReport } from "./verify.js"

export interface EventLogShape {
  readonly registry: Registry
  readonly append: (
    stream: string,
    expected: ExpectedVersion,
    events: ReadonlyArray<NewEvent>,
    opts?: AppendOptions,
  ) => Effect.Effect<AppendResult, AnyEventLogError>
  readonly readStream: (stream: string, opts?: { readonly fromSeq?: number }) => Stream.Stream<EventEnvelope, AnyEventLogError>
  readonly readRange: (range?: ReadRange) => Stream.Stream<EventEnvelope, AnyEventLogError>
  readonly readAll: () => Stream.Stream<EventEnvelope, AnyEventLogError>
  /** Events by position, a storage batch per element (the replay path; see EventStore.readChunks). */
  readonly readChunks: (range?: ReadRange) => Stream.Stream<ReadonlyArray<EventEnvelope>, AnyEventLogError>
  /** Existing events from `fromPos`, then live ones; interrupting the stream ends the subscription. */
  readonly subscribe: (fromPos?: number) => Stream.Stream<EventEnvelope, AnyEventLogError>
  readonly head: Effect.Effect<Head>
  readonly streamVersion: (stream: string) => Effect.Effect<number, AnyEventLogError>
  readonly verify: Effect.Effect<VerifyReport, AnyEventLogError>
}

const attempt = <A>(op: string, f: () => Promise<A>): Effect.Effect<A, AnyEventLogError> =>
  Effect.tryPromise({ try: f, catch: (e) => storageError(op, undefined, e) })

const stream = <A>(op: string, f: () => AsyncIterable<A>): Stream.Stream<A, AnyEventLogError> =>
  Stream.suspend(() => Stream.fromAsyncIterable(f(), (e) => storageError(op, undefined, e)))

/** Wraps an open store in the service shape. */
export const fromStore = (store: EventStore): EventLogShape => ({
  registry: store.registry,
  append: (s, expected, events, opts) => attempt("append", () => store.append(s, expected, events, opts)),
  readStream: (s, opts) => stream("read", () => store.readStream(s, opts)),
  readRange: (range) => stream("read", () => store.readRange(range)),
  readAll: () => stream("read", () => store.readAll()),
  readChunks: (range) => stream("read", () => store.readChunks(range)),
  subscribe: (fromPos) =>
    Stream.suspend(() => {
      // The store's subscription parks on an in-process wake-up; abort it when the stream ends.
      const ac = new AbortController()
      return Stream.fromAsyncIterable(store.subscribe(fromPos, { signal: ac.signal }), (e) => storageError("subscribe", undefined, e)).pipe(
        Stream.ensuring(Effect.sync(() => ac.abort())),
      )
    }),
  head: Effect.sync(() => store.head()),
  streamVersion: (s) => attempt("read", () => store.streamVersion(s)),
  verify: attempt("verify", () => store.verify()),
})

const scoped = (open: () => Promise<EventStore>) =>
  Effect.acquireRelease(attempt("open event log", open), (store) => Effect.promise(() => store.close().catch(() => undefined))).pipe(
    Effect.map(fromStore),
  )

/** The LevelDB log at `path`, open for the scope. */
export const makeEventLog = (path: string, opts?: OpenEventLogOptions) => scoped(() => openEventLog(path, opts))

/** A fresh in-memory log (or `opts.data` again), open for the scope. */
export const makeMemoryEventLog = (opts?: MemoryEventLogOptions) => scoped(() => openMemoryEventLog(opts))

export class EventLog extends Context.Service<EventLog, EventLogShape>()("strata/events/EventLog") {
  static readonly layer = (path: string, opts?: OpenEventLogOptions): Layer.Layer<EventLog, AnyEventLogError> =>
    Layer.effect(EventLog, makeEventLog(path, opts))
  static readonly layerMemory: Layer.Layer<EventLog> = Layer.effect(EventLog, Effect.orDie(makeMemoryEventLog()))
  static readonly layerMemoryWith = (opts: MemoryEventLogOptions): Layer.Layer<EventLog, AnyEventLogError> =>
    Layer.effect(EventLog, makeMemoryEventLog(opts))
}
