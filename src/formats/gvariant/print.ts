/**
 * GVariant text format as GLib's g_variant_print writes it, so `show`, `ls -X` and `summary`
 * print values exactly like the ostree CLI: type annotations only where the text would be
 * ambiguous (and only on an array's first element), bytestrings as b'…', strings quoted with
 * ' unless they contain one. Also `byteswap`, which ostree's `--raw` views apply on little-endian
 * hosts (g_variant_byteswap), so big-endian fields read as numbers.
 */
import { parse } from "./parse.js"
import { serialize } from "./serialize.js"
import { parseType, type GType } from "./type.js"
import type { Variant } from "./value.js"

/** Renders `value` of `type` like g_variant_print(value, annotate). */
export const printVariant = (type: string | GType, value: unknown, annotate = true): string => {
  const out: string[] = []
  print(typeof type === "string" ? parseType(type) : type, value, annotate, out)
  return out.join("")
}

/** g_variant_byteswap: every multi-byte number in the value reversed, strings and bytes kept. */
export const byteswap = (type: string | GType, value: unknown): unknown =>
  parse(type, serialize(type, value), { littleEndian: false })

const INT_PREFIX: Record<string, string> = { n: "int16 ", q: "uint16 ", u: "uint32 ", x: "int64 ", t: "uint64 ", h: "handle " }

const print = (t: GType, v: unknown, annotate: boolean, out: string[]): void => {
  switch (t.kind) {
    case "variant": {
      const inner = v as Variant
      out.push("<")
      // Nested variants always carry their type: it is not implied by the context.
      print(parseType(inner.type), inner.value, true, out)
      out.push(">")
      return
    }
    case "maybe":
      if (annotate) out.push(`@${t.str} `)
      if (v === null || v === undefined) out.push("nothing")
      else print(t.elem, v, false, out)
      return
    case "tuple": {
      if (t.dictEntry) {
        out.push("{")
        print(t.members[0]!, (v as unknown[])[0], annotate, out)
        out.push(", ")
        print(t.members[1]!, (v as unknown[])[1], annotate, out)
        out.push("}")
        return
      }
      const items = v as unknown[]
      out.push("(")
      t.members.forEach((m, i) => {
        if (i > 0) out.push(", ")
        print(m, items[i], annotate, out)
      })
      // A one-tuple keeps its comma so it reads back as a tuple: "(1,)".
      out.push(t.members.length === 1 ? ",)" : ")")
      return
    }
    case "array":
      return printArray(t, v, annotate, out)
    case "basic":
      return printBasic(t.code, v, annotate, out)
  }
}

const printArray = (t: Extract<GType, { kind: "array" }>, v: unknown, annotate: boolean, out: string[]): void => {
  if (t.elem.kind === "basic" && t.elem.code === "y") {
    const bytes = v as Uint8Array
    // A bytestring is exactly one NUL, at the end.
    if (bytes.length > 0 && bytes.indexOf(0) === bytes.length - 1) {
      const body = bytes.subarray(0, -1)
      const q = body.includes(0x27) ? '"' : "'"
      out.push(`b${q}${strescape(body)}${q}`)
      return
    }
    return printList(t, Array.from(bytes), annotate, out, "[", "]")
  }
  const isDict = t.elem.kind === "tuple" && t.elem.dictEntry
  return printList(t, v as unknown[], annotate, out, isDict ? "{" : "[", isDict ? "}" : "]")
}

const printList = (
  t: Extract<GType, { kind: "array" }>, items: unknown[], annotate: boolean, out: string[], open: string, close: string,
): void => {
  if (items.length === 0) {
    if (annotate) out.push(`@${t.str} `)
    out.push(open + close)
    return
  }
  const e = t.elem
  out.push(open)
  items.forEach((item, i) => {
    if (i > 0) out.push(", ")
    if (e.kind === "tuple" && e.dictEntry && open === "{") {
      const [k, val] = item as [unknown, unknown]
      print(e.members[0]!, k, annotate, out)
      out.push(": ")
      print(e.members[1]!, val, annotate, out)
    } else {
      print(e, item, annotate, out)
    }
    annotate = false // only the first element carries the type
  })
  out.push(close)
}

const printBasic = (code: string, v: unknown, annotate: boolean, out: string[]): void => {
  switch (code) {
    case "b":
      out.push(v ? "true" : "false")
      return
    case "y":
      out.push(`${annotate ? "byte " : ""}0x${(v as number).toString(16).padStart(2, "0")}`)
      return
    case "s":
      out.push(quoteString(v as string))
      return
    case "o":
      out.push(`${annotate ? "objectpath " : ""}${quoteString(v as string)}`)
      return
    case "g":
      out.push(`${annotate ? "signature " : ""}${quoteString(v as string)}`)
      return
    case "d":
      out.push(formatDouble(v as number))
      return
    default:
      out.push(`${annotate ? (INT_PREFIX[code] ?? "") : ""}${String(v)}`)
  }
}

/** g_unichar_isprint: everything but controls, format characters, unassigned and surrogates. */
const NONPRINT = /[\p{Cc}\p{Cf}\p{Cn}\p{Cs}]/u
const C_ESCAPES: Record<string, string> = { "\x07": "a", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", "\v": "v" }

const quoteString = (s: string): string => {
  const q = s.includes("'") ? '"' : "'"
  let out = q
  for (const ch of s) {
    if (ch === q || ch === "\\") out += "\\"
    if (!NONPRINT.test(ch)) {
      out += ch
      continue
    }
    const cp = ch.codePointAt(0)!
    const esc = C_ESCAPES[ch]
    out += esc ? `\\${esc}` : cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, "0")}` : `\\U${cp.toString(16).padStart(8, "0")}`
  }
  return out + q
}

const STR_ESCAPES: Record<number, string> = { 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v", 92: "\\\\", 34: '\\"' }

/** g_strescape: C escapes, and octal for bytes below space or from DEL up. */
const strescape = (b: Uint8Array): string => {
  let out = ""
  for (const c of b) {
    const e = STR_ESCAPES[c]
    if (e) out += e
    else if (c < 0x20 || c >= 0x7f) out += `\\${c.toString(8).padStart(3, "0")}`
    else out += String.fromCharCode(c)
  }
  return out
}

/** g_ascii_dtostr ("%.17g"), plus ".0" when the result would otherwise read as an integer. */
export const formatDouble = (d: number): string => {
  let s: string
  if (Number.isNaN(d)) s = "nan"
  else if (!Number.isFinite(d)) s = d > 0 ? "inf" : "-inf"
  else if (d === 0) s = Object.is(d, -0) ? "-0" : "0"
  else {
    const [mant, expStr] = d.toExponential(16).split("e") as [string, string]
    const exp = Number(expStr)
    const trim = (x: string): string => (x.includes(".") ? x.replace(/0+$/, "").replace(/\.$/, "") : x)
    if (exp < -4 || exp >= 17) s = `${trim(mant)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`
    else s = trim(d.toFixed(16 - exp))
  }
  return /[.enN]/.test(s) ? s : `${s}.0`
}
