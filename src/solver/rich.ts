/**
 * Rich (boolean) dependencies as dependency-table trees: `(a >= 1 or (b if c else d))` becomes
 * OR(a>=1, IF(b, ELSE(c, d))). The text is parsed by the package-format parser
 * (`formats/rpm/rich.ts`, shared with the rpmdb index); this turns its tree into dependency ids.
 */
import { operatorSense } from "../formats/rpm/evr.js"
import { parseRichTree, RichSyntaxError, type RichNode, type RichOp } from "../formats/rpm/rich.js"
import { Op, type DepTable } from "./deps.js"
import { normalizeDepEvr } from "./package.js"
import { setRichParser } from "./pool.js"
import type { StringPool } from "./strings.js"

export { RichSyntaxError as RichParseError }

const OPS: Readonly<Record<RichOp, number>> = { and: Op.AND, or: Op.OR, with: Op.WITH, without: Op.WITHOUT, if: Op.IF, unless: Op.UNLESS }

const toDep = (strings: StringPool, deps: DepTable, n: RichNode): number => {
  if (n.kind === "leaf") {
    const name = strings.intern(n.name)
    return n.op === undefined ? name : deps.rel(name, operatorSense(n.op), strings.intern(normalizeDepEvr(n.evr!)))
  }
  const op = OPS[n.op]
  if (n.op === "if" || n.op === "unless") {
    const then = toDep(strings, deps, n.terms[0]!)
    const cond = toDep(strings, deps, n.terms[1]!)
    return deps.rel(then, op, n.else ? deps.rel(cond, Op.ELSE, toDep(strings, deps, n.else)) : cond)
  }
  let acc = toDep(strings, deps, n.terms[0]!)
  for (const t of n.terms.slice(1)) acc = deps.rel(acc, op, toDep(strings, deps, t))
  return acc
}

/** Parses `text` (starting with "(") into a dependency id. Throws RichParseError. */
export const parseRich = (strings: StringPool, deps: DepTable, text: string): number => toDep(strings, deps, parseRichTree(text))

// an unparsable rich dependency stays a name nothing provides: unsatisfiable, not fatal
setRichParser((strings, deps, text) => {
  try {
    return parseRich(strings, deps, text)
  } catch (e) {
    if (e instanceof RichSyntaxError) return strings.intern(text)
    throw e
  }
})
