/**
 * How an event type is declared. Each concept file under types/ declares its events with
 * `defineEvent` (or `defineStep` for machine steps) and catalog.ts lists them, so a new event is
 * one line in a concept file.
 *
 * Every definition is marked `intent` (appended durably *before* its side effect) or `fact`
 * (appended only *after* the effect is durable), per the write-ahead discipline in DESIGN.md.
 * Older schema versions stay readable: list them in `older` with an `up` function that turns
 * their payload into the current shape.
 */
import * as Schema from "effect/Schema"
import type { EventEnvelope, NewEvent } from "./envelope.js"

export type EventKind = "intent" | "fact"

/** A payload schema: no services needed to encode or decode it. */
export type DataSchema = Schema.ConstraintCodec<unknown, unknown, never, never>

export interface OlderVersion {
  readonly data: DataSchema
  /** Converts a payload of this version to the current version's Type. */
  readonly up: (data: unknown) => unknown
}

export interface EventDef<Type extends string = string, Data = unknown> {
  readonly type: Type
  /** The version written by this build. */
  readonly v: number
  readonly kind: EventKind
  /** Ends its transaction (TransactionCompleted/Aborted/Failed). */
  readonly terminal: boolean
  /** A machine step event; its payload may carry the persisted machine snapshot. */
  readonly step: boolean
  readonly data: DataSchema
  readonly older: ReadonlyMap<number, OlderVersion>
  /** Builds an event to append; the payload is checked against the schema at append time. */
  // Method syntax (bivariant parameters) so a list of specific defs is an EventDef[].
  make(data: Data, opts?: { readonly txn?: string }): NewEvent<Type, Data>
  /** Narrows a stored event to this type. */
  is(e: EventEnvelope): e is EventEnvelope<Type, Data>
}

export interface DefineOptions<S extends DataSchema> {
  readonly kind: EventKind
  readonly data: S
  readonly v?: number
  readonly terminal?: boolean
  readonly step?: boolean
  readonly older?: Readonly<Record<number, OlderVersion>>
}

export const defineEvent = <const Type extends string, S extends DataSchema>(
  type: Type,
  opts: DefineOptions<S>,
): EventDef<Type, S["Type"]> => {
  const v = opts.v ?? 1
  const older = new Map<number, OlderVersion>()
  for (const [k, o] of Object.entries(opts.older ?? {})) {
    const n = Number(k)
    if (!Number.isInteger(n) || n < 1 || n >= v) throw new Error(`defineEvent ${type}: older version ${k} must be an integer in 1..${v - 1}`)
    older.set(n, o)
  }
  return {
    type,
    v,
    kind: opts.kind,
    terminal: opts.terminal ?? false,
    step: opts.step ?? false,
    data: opts.data,
    older,
    make: (data, o) => (o?.txn !== undefined ? { type, data, txn: o.txn } : { type, data }),
    is: (e): e is EventEnvelope<Type, S["Type"]> => e.type === type,
  }
}

/** The field every step event has: the machine snapshot persisted at this step, if any. */
export const stepFields = { snapshot: Schema.optionalKey(Schema.Unknown) }

/**
 * A machine step event: `fields` plus an optional `snapshot` (xstate's getPersistedSnapshot()).
 * `defineStep("DeployRequested", "intent", { ref: Schema.String })`.
 */
export const defineStep = <const Type extends string, const F extends Schema.Struct.Fields>(
  type: Type,
  kind: EventKind,
  fields: F,
  opts: { readonly v?: number; readonly older?: Readonly<Record<number, OlderVersion>> } = {},
) =>
  defineEvent(type, {
    ...opts,
    kind,
    step: true,
    // A generic F hides whether its fields need services; step payloads are plain data.
    data: Schema.Struct({ ...fields, ...stepFields }) as Schema.Struct<F & typeof stepFields> & DataSchema,
  })
