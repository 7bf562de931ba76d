/**
 * `conditional-include` conditions: `VAR OP VALUE` with OP one of == != < <= > >= and VALUE a
 * quoted string, a number or true/false; or a bare `VAR` (true when the variable is true). The
 * variables are `basearch`, `releasever` and the treefile's `variables`. A list of conditions
 * must all hold. rpm-ostree's own conditions are the same shape (`basearch == "x86_64"`).
 */
export type VarValue = string | number | boolean

const COND = /^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/
const BARE = /^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*$/

const literal = (text: string): VarValue | undefined => {
  if (/^"(?:[^"\\]|\\.)*"$/.test(text)) return JSON.parse(text) as string
  if (/^'[^']*'$/.test(text)) return text.slice(1, -1)
  if (text === "true") return true
  if (text === "false") return false
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text)
  return undefined
}

/** Evaluates one condition; throws a plain Error (the caller adds file/line/field) when invalid. */
export const evaluate = (cond: string, vars: ReadonlyMap<string, VarValue>): boolean => {
  const bare = BARE.exec(cond)
  if (bare) {
    const v = vars.get(bare[1]!)
    if (v === undefined) throw new Error(`unknown variable \`${bare[1]}\` in condition \`${cond}\``)
    if (typeof v !== "boolean") throw new Error(`variable \`${bare[1]}\` is not a boolean in condition \`${cond}\``)
    return v
  }
  const m = COND.exec(cond)
  if (!m) throw new Error(`cannot parse condition \`${cond}\` (expected VARIABLE OP VALUE)`)
  const [, name, op, text] = m as unknown as [string, string, string, string]
  const v = vars.get(name)
  if (v === undefined) throw new Error(`unknown variable \`${name}\` in condition \`${cond}\``)
  const want = literal(text)
  if (want === undefined) throw new Error(`cannot parse value \`${text}\` in condition \`${cond}\` (quote strings)`)
  // releasever is a string even when it looks like a number; compare numerically when both sides do.
  const num = (x: VarValue): number | undefined => (typeof x === "number" ? x : typeof x === "string" && /^-?\d+(\.\d+)?$/.test(x) ? Number(x) : undefined)
  if (op === "==" || op === "!=") {
    const a = num(v), b = num(want)
    const eq = a !== undefined && b !== undefined ? a === b : String(v) === String(want)
    return op === "==" ? eq : !eq
  }
  const a = num(v), b = num(want)
  if (a === undefined || b === undefined) throw new Error(`\`${op}\` needs numbers in condition \`${cond}\``)
  return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
}
