/**
 * Rich (boolean) dependencies: `(a >= 1 or (b if c else d))`, parsed once into a tree that both
 * the rpmdb index (leaf names) and the solver (dependency ids with their version constraints) read.
 *
 * rpm's grammar: a parenthesised list of terms joined by one operator — `and`, `or` and `with` may
 * repeat; `if`/`unless` take a condition and an optional `else`; `without` takes exactly two
 * terms. A term is a nested expression or `name [op evr]`; a name may hold balanced parentheses
 * (`perl(Foo::Bar)`, `font(:lang=en)`).
 */
import { corrupt } from "./error.js"

export type RichOp = "and" | "or" | "with" | "without" | "if" | "unless"

export interface RichLeaf {
  readonly kind: "leaf"
  readonly name: string
  /** `<`, `<=`, `=`, `>=`, `>` (rpm also accepts `==`, `=<`, `=>`), with `evr`. */
  readonly op?: string
  readonly evr?: string
}

export interface RichExpr {
  readonly kind: "expr"
  readonly op: RichOp
  /** and/or/with: two or more; without: two; if/unless: [then, condition]. */
  readonly terms: ReadonlyArray<RichNode>
  /** if/unless: the `else` branch. */
  readonly else?: RichNode
}

export type RichNode = RichLeaf | RichExpr

const OPS: ReadonlySet<string> = new Set(["and", "or", "with", "without", "if", "unless", "else"])
const REL_OPS = /^(<|>|=|==|<=|>=|=<|=>)$/

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13

const tokenize = (s: string): string[] => {
  const out: string[] = []
  let i = 0
  while (i < s.length) {
    const c = s.charCodeAt(i)
    if (isSpace(c)) i++
    else if (c === 40 || c === 41) out.push(s[i++]!)
    else {
      let j = i
      let depth = 0
      for (; j < s.length; j++) {
        const d = s.charCodeAt(j)
        if (isSpace(d)) break
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

export class RichSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly why: string,
  ) {
    super(`rich dependency ${text}: ${why}`)
  }
}

/** Parses `text` (starting with "("). Throws RichSyntaxError. */
export const parseRichTree = (text: string): RichNode => {
  const toks = tokenize(text)
  let i = 0
  const fail = (why: string): never => {
    throw new RichSyntaxError(text, why)
  }
  const term = (): RichNode => {
    if (toks[i] === "(") return expr()
    const name = toks[i++]
    if (name === undefined || name === ")" || OPS.has(name)) return fail(`expected a name at token ${i}`)
    if (toks[i] !== undefined && REL_OPS.test(toks[i]!)) {
      const op = toks[i]!
      const evr = toks[i + 1]
      if (evr === undefined || evr === ")") fail(`missing version after ${name} ${op}`)
      i += 2
      return { kind: "leaf", name, op, evr: evr! }
    }
    return { kind: "leaf", name }
  }
  const expr = (): RichNode => {
    if (toks[i] !== "(") fail(`expected "("`)
    i++
    const first = term()
    if (toks[i] === ")") {
      i++
      return first // "(a)" is just a
    }
    const word = toks[i]
    if (word === undefined || !OPS.has(word) || word === "else") return fail(`unexpected "${word ?? "end"}"`)
    const op = word as RichOp
    i++
    if (op === "if" || op === "unless") {
      const cond = term()
      let alt: RichNode | undefined
      if (toks[i] === "else") {
        i++
        alt = term()
      }
      if (toks[i++] !== ")") fail(`expected ")" after ${word}`)
      return { kind: "expr", op, terms: [first, cond], ...(alt ? { else: alt } : {}) }
    }
    const terms = [first, term()]
    while (toks[i] !== ")") {
      if (toks[i] === undefined) fail(`missing ")"`)
      if (toks[i] !== op || op === "without") fail(`cannot mix "${word}" with "${toks[i]}" without parentheses`)
      i++
      terms.push(term())
    }
    i++
    return { kind: "expr", op, terms }
  }
  const node = expr()
  if (i !== toks.length) fail("trailing text")
  return node
}

/** As parseRichTree, but a syntax error is a corrupt-package error (for header readers). */
export const parseRich = (text: string): RichNode => {
  try {
    return parseRichTree(text)
  } catch (e) {
    if (e instanceof RichSyntaxError) throw corrupt("rich dependency", `${e.why} in ${text}`)
    throw e
  }
}

/**
 * Leaf names as rpm indexes them in the rpmdb (rpmdb.cc updateRichDep): sorted, de-duplicated,
 * names under the condition of an `if`/`unless` prefixed with "!", an `else` branch repeating the
 * condition inverted; rpmlib() names are skipped.
 */
export const richIndexNames = (text: string): string[] => {
  const out: string[] = []
  let neg = false
  const walk = (n: RichNode): void => {
    if (n.kind === "leaf") {
      if (!n.name.startsWith("rpmlib(")) out.push((neg ? "!" : " ") + n.name)
      return
    }
    walk(n.terms[0]!)
    if (n.op === "if" || n.op === "unless") {
      const outer = neg
      const condStart = out.length
      neg = !outer
      walk(n.terms[1]!)
      if (n.else) {
        for (const c of out.slice(condStart)) out.push((c[0] === "!" ? " " : "!") + c.slice(1))
        neg = outer
        walk(n.else)
      }
      neg = outer
    } else for (const t of n.terms.slice(1)) walk(t)
  }
  walk(parseRich(text))
  out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return out.filter((x, k) => k === 0 || out[k - 1] !== x).map((x) => (x[0] === " " ? x.slice(1) : x))
}
