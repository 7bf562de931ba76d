/**
 * The set of event types a log accepts, with their payload codecs compiled once. Writes are
 * strict (unknown keys are an error, so a typo cannot silently drop data); reads are lenient
 * about extra keys and upgrade older payload versions through the definition's `up` chain.
 */
import * as Schema from "effect/Schema"
import type { DataSchema, EventDef } from "./event-def.js"
import { EventLogError, UnknownEventType } from "./error.js"
import { compileFast, FAIL } from "./payload-fast.js"

interface Compiled {
  readonly def: EventDef
  readonly encode: (data: unknown) => unknown
  readonly decode: ReadonlyMap<number, (data: unknown) => unknown>
}

export interface Registry {
  readonly get: (type: string) => EventDef | undefined
  readonly defs: () => ReadonlyArray<EventDef>
  /** A registry with more definitions (for modules and tests that add their own types). */
  readonly with: (defs: ReadonlyArray<EventDef>) => Registry
  /** Checks a payload for writing; returns the schema version and the encoded payload. */
  readonly encodeData: (type: string, data: unknown) => { readonly v: number; readonly data: unknown }
  /** Validates a stored payload of `type`@`v` and returns it in the current version's shape. */
  readonly decodeData: (type: string, v: number, data: unknown, pos?: number) => unknown
}

/**
 * Effect's decoder of `schema`, behind the fast path of payload-fast.ts where the schema allows
 * one (every payload in the catalog does): same values, and Effect's errors for bad payloads.
 * The fast path is generated code, compiled only once a type has been decoded FAST_AFTER times:
 * a command that reads a short log (`strata status`) starts without compiling ~40 functions.
 */
export const FAST_AFTER = 64

const payloadDecoder = (schema: DataSchema): ((data: unknown) => unknown) => {
  const slow = Schema.decodeUnknownSync(schema)
  let calls = 0
  let fast: ((data: unknown) => unknown) | undefined
  return (data) => {
    if (fast === undefined) {
      if (++calls < FAST_AFTER) return slow(data)
      fast = compileFast(schema.ast) ?? slow
    }
    const out = fast(data)
    return out === FAIL ? slow(data) : out
  }
}

const firstLine = (e: unknown): string => String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, " ")

export const makeRegistry = (defs: ReadonlyArray<EventDef>): Registry => {
  const table = new Map<string, Compiled>()
  for (const def of defs) {
    if (table.has(def.type)) throw new Error(`event registry: "${def.type}" is defined twice`)
    const decode = new Map<number, (data: unknown) => unknown>()
    decode.set(def.v, payloadDecoder(def.data as DataSchema))
    for (const [v, old] of def.older) {
      const dec = Schema.decodeUnknownSync(old.data)
      decode.set(v, (d) => old.up(dec(d)))
    }
    table.set(def.type, { def, decode, encode: Schema.encodeUnknownSync(def.data as DataSchema, { onExcessProperty: "error" }) })
  }
  const lookup = (type: string, pos?: number): Compiled => {
    const c = table.get(type)
    if (!c) throw new UnknownEventType({ type, ...(pos !== undefined ? { pos } : {}) })
    return c
  }
  return {
    get: (type) => table.get(type)?.def,
    defs: () => [...table.values()].map((c) => c.def),
    with: (more) => makeRegistry([...defs, ...more]),
    encodeData: (type, data) => {
      const c = lookup(type)
      try {
        return { v: c.def.v, data: c.encode(data) }
      } catch (e) {
        throw new EventLogError({ op: `append ${type}`, reason: "Invalid", detail: `invalid payload: ${firstLine(e)}` })
      }
    },
    decodeData: (type, v, data, pos) => {
      const dec = lookup(type, pos).decode.get(v)
      if (!dec) throw new UnknownEventType({ type, v, ...(pos !== undefined ? { pos } : {}) })
      try {
        return dec(data)
      } catch (e) {
        throw new EventLogError({ op: `read ${type}`, reason: "Corrupt", detail: `payload does not match schema v${v}: ${firstLine(e)}`, ...(pos !== undefined ? { pos } : {}) })
      }
    },
  }
}
