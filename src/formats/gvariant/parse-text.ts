/**
 * The scalar part of GVariant text format (g_variant_parse), enough for command-line metadata
 * such as `summary -m KEY=VALUE`: quoted strings, booleans, numbers (int32 unless written with
 * a decimal point or exponent, which makes a double) and the typed forms `uint64 7`,
 * `int16 -2`, `byte 0x10`, … Containers are refused with a clear error rather than guessed at.
 */
import { GVariantError } from "./error.js"
import { variant, type Variant } from "./value.js"

const TYPED: Record<string, string> = {
  byte: "y", int16: "n", uint16: "q", int32: "i", uint32: "u", int64: "x", uint64: "t", handle: "h", double: "d",
}
const RANGE: Record<string, [bigint, bigint]> = {
  y: [0n, 255n], n: [-32768n, 32767n], q: [0n, 65535n], i: [-2147483648n, 2147483647n], u: [0n, 4294967295n],
  h: [-2147483648n, 2147483647n], x: [-(1n << 63n), (1n << 63n) - 1n], t: [0n, (1n << 64n) - 1n],
}
const ESC: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", a: "\x07" }

const bad = (text: string, why: string): GVariantError => new GVariantError({ reason: `cannot parse "${text}": ${why}` })

const unquote = (text: string): string => {
  const q = text[0]!
  if (text.length < 2 || text[text.length - 1] !== q) throw bad(text, "unterminated string")
  let out = ""
  const body = text.slice(1, -1)
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c === q) throw bad(text, "unescaped quote inside string")
    if (c !== "\\") {
      out += c
      continue
    }
    const n = body[++i]
    if (n === undefined) throw bad(text, "string ends in a backslash")
    if (n === "u" || n === "U") {
      const len = n === "u" ? 4 : 8
      const hex = body.slice(i + 1, i + 1 + len)
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw bad(text, `bad \\${n} escape`)
      out += String.fromCodePoint(parseInt(hex, 16))
      i += len
    } else out += ESC[n] ?? n
  }
  return out
}

const number = (text: string, code: string, lit: string): Variant => {
  if (code === "d" || (code === "" && /[.eE]/.test(lit) && !/^0x/i.test(lit))) {
    const d = Number(lit)
    if (!Number.isFinite(d)) throw bad(text, "not a number")
    return variant("d", d)
  }
  const t = code || "i"
  let n: bigint
  try {
    n = BigInt(lit)
  } catch {
    throw bad(text, "not an integer")
  }
  const [lo, hi] = RANGE[t]!
  if (n < lo || n > hi) throw bad(text, `out of range for type ${t}`)
  return variant(t, t === "x" || t === "t" ? n : Number(n))
}

/** Parses one scalar GVariant text value. */
export const parseVariantText = (input: string): Variant => {
  const text = input.trim()
  if (text === "true" || text === "false") return variant("b", text === "true")
  if (text.startsWith("'") || text.startsWith('"')) return variant("s", unquote(text))
  const m = /^([a-z0-9]+)\s+(\S+)$/.exec(text)
  if (m && TYPED[m[1]!]) return number(text, TYPED[m[1]!]!, m[2]!)
  if (/^[-+]?(0x[0-9a-fA-F]+|[0-9.]+([eE][-+]?[0-9]+)?)$/.test(text)) return number(text, "", text)
  throw bad(text, "only strings, booleans and numbers are supported")
}
