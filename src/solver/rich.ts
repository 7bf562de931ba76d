/**
 * Rich (boolean) dependencies parsed into dependency-table trees: `(a >= 1 or (b if c else d))`
 * becomes OR(a>=1, IF(b, ELSE(c, d))). rpm's grammar: a parenthesised list of terms joined by one
 * operator — `and`, `or` and `with` may repeat; `if`/`unless` take a condition and an optional
 * `else`; `without` takes exactly two terms. A term is a nested expression or `name [op evr]`.
 */
import { operatorSense } from "../formats/rpm/evr.js"
import { Op, type DepTable } from "./deps.js"
import { normalizeDepEvr } from "./package.js"
import type { StringPool } from "./strings.js"

export class RichParseError extends Error {
  constructor(readonly text: string, why: string) {
    super(`rich dependency ${text}: ${why}`)
  }
}

const WORDS: Record<string, number> = { and: Op.AND, or: Op.OR, with: Op.WITH, without: Op.WITHOUT, if: Op.IF, unless: Op.UNLESS, else: Op.ELSE }
const REL_OPS = /^(<|>|=|==|<=|>=|=<|=>)$/

const tokenize = (s: string): string[] => {
  const out: string[] = []
  let i = 0
  while (i < s.length) {
    const c = s.charCodeAt(i)
    if (c === 32 || c === 9 || c === 10 || c === 13) i++
    else if (c === 40 || c === 41) out.push(s[i++]!)
    else {
      // a name may hold balanced parentheses: perl(Foo::Bar), font(:lang=en)
      let j = i
      let depth = 0
      for (; j < s.length; j++) {
        const d = s.charCodeAt(j)
        if (d === 32 || d === 9 || d === 10 || d === 13) break
        if (d === 40) depth++
        else if (d === 41) {
          if (depth === 0) break
          depth--
        }
      }
      out.push(s.slice(i, j))
      i = j
    }
  }
  return out
}

/** Parses `text` (starting with "(") into a dependency id. Throws RichParseError. */
export const parseRich = (strings: StringPool, deps: DepTable, text: string): number => {
  const toks = tokenize(text)
  let i = 0
  const fail = (why: string): never => {
    throw new RichParseError(text, why)
  }
  const term = (): number => {
    if (toks[i] === "(") return expr()
    const name = toks[i++]
    if (name === undefined || name === ")" || WORDS[name] !== undefined) fail(`expected a name at token ${i}`)
    const nameId = strings.intern(name!)
    if (toks[i] !== undefined && REL_OPS.test(toks[i]!)) {
      const flags = operatorSense(toks[i]!)
      const evr = toks[i + 1]
      if (evr === undefined || evr === ")") fail(`missing version after ${name} ${toks[i]}`)
      i += 2
      return deps.rel(nameId, flags, strings.intern(normalizeDepEvr(evr!)))
    }
    return nameId
  }
  const expr = (): number => {
    if (toks[i] !== "(") fail(`expected "("`)
    i++
    const first = term()
    if (toks[i] === ")") {
      i++
      return first // "(a)" is just a
    }
    const word = toks[i]
    const op = word === undefined ? undefined : WORDS[word]
    if (op === undefined || op === Op.ELSE) fail(`unexpected "${word ?? "end"}"`)
    i++
    if (op === Op.IF || op === Op.UNLESS) {
      const cond = term()
      let result: number
      if (toks[i] === "else") {
        i++
        const alt = term()
        result = deps.rel(first, op!, deps.rel(cond, Op.ELSE, alt))
      } else result = deps.rel(first, op!, cond)
      if (toks[i++] !== ")") fail(`expected ")" after ${word}`)
      return result
    }
    let acc = deps.rel(first, op!, term())
    while (toks[i] !== ")") {
      if (toks[i] === undefined) fail(`missing ")"`)
      if (WORDS[toks[i]!] !== op || op === Op.WITHOUT) fail(`cannot mix "${word}" with "${toks[i]}" without parentheses`)
      i++
      acc = deps.rel(acc, op!, term())
    }
    i++
    return acc
  }
  const d = expr()
  if (i !== toks.length) fail("trailing text")
  return d
}
