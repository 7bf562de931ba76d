/**
 * Rich (boolean) dependencies: `(a >= 1 or (b if c))`. Parses the expression and lists its
 * leaf names the way rpm indexes them in the rpmdb: names under the condition of an `if` or
 * `unless` are prefixed with "!", an `else` branch repeats the condition inverted, and the
 * result is sorted and de-duplicated (rpmdb.cc updateRichDep).
 */
import { corrupt } from "./error.js"

const OPS = new Set(["and", "or", "if", "else", "unless", "with", "without"])

type Node = { readonly kind: "leaf"; readonly name: string } | { readonly kind: "expr"; readonly terms: Node[]; readonly ops: string[] }

/** Tokens: "(", ")" and words; a word may contain balanced parentheses ("perl(Foo::Bar)"). */
const tokenize = (s: string): string[] => {
  const out: string[] = []
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if (/\s/.test(c)) i++
    else if (c === "(" || c === ")") out.push(s[i++]!)
    else {
      let j = i
      let depth = 0
      while (j < s.length && !/\s/.test(s[j]!) && !(s[j] === ")" && depth === 0)) {
        if (s[j] === "(") depth++
        else if (s[j] === ")") depth--
        j++
      }
      out.push(s.slice(i, j))
      i = j
    }
  }
  return out
}

export const parseRich = (text: string): Node => {
  const toks = tokenize(text)
  let i = 0
  const expr = (): Node => {
    if (toks[i] !== "(") throw corrupt("rich dependency", `expected "(" in ${text}`)
    i++
    const terms: Node[] = []
    const ops: string[] = []
    for (;;) {
      if (toks[i] === "(") terms.push(expr())
      else {
        const name = toks[i++]
        if (name === undefined || name === ")" || OPS.has(name)) throw corrupt("rich dependency", `expected a name in ${text}`)
        // an optional "op evr" after the name
        if (toks[i] && /^(<|>|=|<=|>=|==|=<|=>)$/.test(toks[i]!)) i += 2
        terms.push({ kind: "leaf", name })
      }
      const t = toks[i++]
      if (t === ")") break
      if (t === undefined || !OPS.has(t)) throw corrupt("rich dependency", `unexpected "${t ?? "end"}" in ${text}`)
      ops.push(t)
    }
    return { kind: "expr", terms, ops }
  }
  const node = expr()
  if (i !== toks.length) throw corrupt("rich dependency", `trailing text in ${text}`)
  return node
}

/** Leaf names as rpm indexes them: sorted, de-duplicated, negated ones prefixed with "!". */
export const richIndexNames = (text: string): string[] => {
  const out: string[] = []
  let neg = false
  const walk = (n: Node): void => {
    if (n.kind === "leaf") {
      if (!n.name.startsWith("rpmlib(")) out.push((neg ? "!" : " ") + n.name)
      return
    }
    const start = out.length
    let condStart = start
    n.terms.forEach((t, k) => {
      if (k > 0) {
        const op = n.ops[k - 1]!
        if (op === "if" || op === "unless") {
          condStart = out.length
          neg = !neg
        } else if (op === "else") {
          const cond = out.slice(condStart)
          for (const c of cond) out.push((c[0] === "!" ? " " : "!") + c.slice(1))
          neg = !neg
        }
      }
      walk(t)
    })
    if (n.ops.includes("if") || n.ops.includes("unless")) neg = !neg
  }
  walk(parseRich(text))
  out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return out.filter((x, k) => k === 0 || out[k - 1] !== x).map((x) => (x[0] === " " ? x.slice(1) : x))
}
