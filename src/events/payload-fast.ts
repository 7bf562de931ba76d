/**
 * A fast path for decoding stored payloads, compiled once per schema from its Effect AST.
 *
 * Event payloads are plain structural schemas (structs of strings, numbers, booleans, arrays and
 * nested structs, a few `isInt`/`isBetween` checks), and for those Effect's decode is a
 * validation plus a copy that keeps the declared keys in their declared order. Its interpreter
 * costs ~1 µs per step payload (~100 ms of a 100k-event replay, and its garbage); this does the
 * same walk directly. It only ever answers "valid, and here is what Effect returns" or FAIL:
 *   - a schema with any node it does not know (unions, literals, transformations, defaults,
 *     index signatures, tuples, encoding checks) gets no fast path at all (`compileFast` returns
 *     undefined), so what it accepts is exactly the subset below;
 *   - checks (`isInt`, …) run through Effect's own filters, so they mean what they mean there;
 *   - FAIL sends the payload to Effect's decoder, which throws its usual error — or accepts it,
 *     if this was stricter than Effect somewhere: too strict only costs time, never an answer.
 * Semantics mirrored from effect's SchemaAST: a key is present if `key in input`; a missing key
 * is an error unless optional; an empty struct accepts any non-nullish value as is; arrays and
 * structs come back as new arrays and objects. payload-fast.test.ts holds the two to the same
 * values (and key order) and errors.
 */
import type * as SchemaAST from "effect/SchemaAST"

/** "Not decided here": ask Effect. */
export const FAIL: unique symbol = Symbol("payload-fast/FAIL")

type Fast = (input: unknown) => unknown

// Options handed to Effect's filters; they only shape the issue a failing filter returns.
const OPTIONS = Object.freeze({})

type Check = SchemaAST.Filter<any> | SchemaAST.FilterGroup<any>

const passes = (checks: ReadonlyArray<Check>, value: unknown, ast: SchemaAST.AST): boolean => {
  for (const c of checks) {
    if (c._tag === "FilterGroup") {
      if (!passes(c.checks, value, ast)) return false
    } else if (c.run(value, ast, OPTIONS as never) !== undefined) return false
  }
  return true
}

/** Wraps `f` with the node's checks (run on the decoded value, as Effect does). */
const withChecks = (ast: SchemaAST.AST, f: Fast): Fast => {
  const checks = ast.checks as ReadonlyArray<Check> | undefined
  if (!checks || checks.length === 0) return f
  return (input) => {
    const out = f(input)
    if (out === FAIL) return FAIL
    try {
      return passes(checks, out, ast) ? out : FAIL
    } catch {
      return FAIL
    }
  }
}

const plain = (ast: SchemaAST.AST): boolean => {
  const a = ast as SchemaAST.AST & { encodingChecks?: unknown }
  if (a.encoding !== undefined || a.encodingChecks !== undefined) return false
  return a.context === undefined || a.context.constructorDefault === undefined
}

interface Prop {
  readonly name: string
  readonly optional: boolean
  readonly decode: Fast
  /** A type test on `v` that is the whole decode (a plain string/number/boolean/unknown), or undefined. */
  readonly inline: string | undefined
}

const inlineTest = (ast: SchemaAST.AST): string | undefined => {
  if (ast.checks && ast.checks.length > 0) return undefined
  switch (ast._tag) {
    case "String":
      return `typeof v === "string"`
    case "Number":
      return `typeof v === "number"`
    case "Boolean":
      return `typeof v === "boolean"`
    case "Unknown":
      return "true"
    default:
      return undefined
  }
}

/** A struct's decode as a loop over its properties: the fallback where code cannot be generated. */
const interpreted = (props: ReadonlyArray<Prop>): Fast => (x) => {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return FAIL
  const rec = x as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (let i = 0; i < props.length; i++) {
    const p = props[i]!
    if (!(p.name in rec)) {
      if (p.optional) continue
      return FAIL
    }
    const v = p.decode(rec[p.name])
    if (v === FAIL) return FAIL
    out[p.name] = v
  }
  return out
}

/**
 * The same decode as straight-line code with the property names written in (`x["name"]`): the
 * loop above reads every property through one megamorphic keyed access and calls a closure per
 * field; generated code gets an inline cache per property and tests plain fields inline (~2x
 * faster on the replay log's payloads). Names are JSON string literals, never code.
 */
const generated = (props: ReadonlyArray<Prop>): Fast | undefined => {
  const lines = ['if (typeof x !== "object" || x === null || Array.isArray(x)) return FAIL', "const out = {}", "let v"]
  props.forEach((p, i) => {
    const key = JSON.stringify(p.name)
    const take = p.inline !== undefined ? `v = x[${key}]; if (!(${p.inline})) return FAIL` : `v = D[${i}](x[${key}]); if (v === FAIL) return FAIL`
    lines.push(`if (${key} in x) { ${take}; out[${key}] = v } else ${p.optional ? "{}" : "return FAIL"}`)
  })
  lines.push("return out")
  try {
    const make = new Function("FAIL", "D", `"use strict"; return function decode(x) {\n${lines.join("\n")}\n}`) as (fail: symbol, d: ReadonlyArray<Fast>) => Fast
    return make(FAIL, props.map((p) => p.decode))
  } catch {
    return undefined
  }
}

const compile = (ast: SchemaAST.AST): Fast | undefined => {
  if (!plain(ast)) return undefined
  switch (ast._tag) {
    case "String":
      return withChecks(ast, (x) => (typeof x === "string" ? x : FAIL))
    case "Number":
      return withChecks(ast, (x) => (typeof x === "number" ? x : FAIL))
    case "Boolean":
      return withChecks(ast, (x) => (typeof x === "boolean" ? x : FAIL))
    case "Unknown":
      return withChecks(ast, (x) => x)
    case "Arrays": {
      if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
      const item = compile(ast.rest[0]!)
      if (!item) return undefined
      return withChecks(ast, (x) => {
        if (!Array.isArray(x)) return FAIL
        const out = new Array<unknown>(x.length)
        for (let i = 0; i < x.length; i++) {
          const v = item(x[i])
          if (v === FAIL) return FAIL
          out[i] = v
        }
        return out
      })
    }
    case "Objects": {
      if (ast.indexSignatures.length !== 0) return undefined
      if (ast.propertySignatures.length === 0) return withChecks(ast, (x) => (x === null || x === undefined ? FAIL : x))
      const props: Prop[] = []
      for (const ps of ast.propertySignatures) {
        if (typeof ps.name !== "string" || ps.name === "__proto__") return undefined
        const decode = compile(ps.type)
        if (!decode) return undefined
        props.push({ name: ps.name, optional: ps.type.context?.isOptional ?? false, decode, inline: inlineTest(ps.type) })
      }
      return withChecks(ast, generated(props) ?? interpreted(props))
    }
    default:
      return undefined
  }
}

/** The fast path for `ast`, or undefined if the schema uses anything it does not cover. */
export const compileFast = (ast: SchemaAST.AST): Fast | undefined => {
  try {
    return compile(ast)
  } catch {
    return undefined
  }
}
