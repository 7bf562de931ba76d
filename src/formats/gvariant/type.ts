/**
 * GVariant type strings, parsed once into a tree that carries each type's alignment and fixed
 * size — the two facts every offset computation of the serialisation format needs.
 * (GLib gvariant-serialiser.c; ../shared/FORMATS.md §2.1)
 */
import { GVariantError } from "./error.js"

export type BasicCode = "y" | "b" | "n" | "q" | "i" | "u" | "h" | "x" | "t" | "d" | "s" | "o" | "g"

export type GType =
  | { readonly kind: "basic"; readonly code: BasicCode; readonly str: string; readonly align: number; readonly fixedSize: number | undefined }
  | { readonly kind: "variant"; readonly str: "v"; readonly align: 8; readonly fixedSize: undefined }
  | { readonly kind: "array"; readonly elem: GType; readonly str: string; readonly align: number; readonly fixedSize: undefined }
  | { readonly kind: "maybe"; readonly elem: GType; readonly str: string; readonly align: number; readonly fixedSize: undefined }
  | {
      readonly kind: "tuple"
      readonly members: ReadonlyArray<GType>
      /** dict entry `{kv}`: a two-member tuple whose key is basic */
      readonly dictEntry: boolean
      readonly str: string
      readonly align: number
      readonly fixedSize: number | undefined
    }

const BASIC: Record<BasicCode, [align: number, size: number | undefined]> = {
  y: [1, 1], b: [1, 1], n: [2, 2], q: [2, 2], i: [4, 4], u: [4, 4], h: [4, 4],
  x: [8, 8], t: [8, 8], d: [8, 8], s: [1, undefined], o: [1, undefined], g: [1, undefined],
}

const cache = new Map<string, GType>()

/** Parse a complete type string ("(a{sv}aya(say)sstayay)"); results are cached. */
export const parseType = (str: string): GType => {
  const hit = cache.get(str)
  if (hit) return hit
  const [t, end] = parseAt(str, 0)
  if (end !== str.length) throw new GVariantError({ reason: `trailing characters in type string "${str}"` })
  cache.set(str, t)
  return t
}

const alignUp = (n: number, a: number): number => (n + a - 1) & ~(a - 1)

const parseAt = (s: string, i: number): [GType, number] => {
  const c = s[i]
  if (c === undefined) throw new GVariantError({ reason: `truncated type string "${s}"` })
  if (c in BASIC) {
    const [align, fixedSize] = BASIC[c as BasicCode]
    return [{ kind: "basic", code: c as BasicCode, str: c, align, fixedSize }, i + 1]
  }
  if (c === "v") return [{ kind: "variant", str: "v", align: 8, fixedSize: undefined }, i + 1]
  if (c === "a" || c === "m") {
    const [elem, end] = parseAt(s, i + 1)
    const str = s.slice(i, end)
    return [{ kind: c === "a" ? "array" : "maybe", elem, str, align: elem.align, fixedSize: undefined }, end]
  }
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}"
    const members: GType[] = []
    let j = i + 1
    while (s[j] !== close) {
      if (j >= s.length) throw new GVariantError({ reason: `unterminated "${c}" in type string "${s}"` })
      const [m, end] = parseAt(s, j)
      members.push(m)
      j = end
    }
    if (c === "{" && (members.length !== 2 || members[0]!.kind !== "basic")) {
      throw new GVariantError({ reason: `dict entry must be {basic value} in "${s}"` })
    }
    const str = s.slice(i, j + 1)
    let align = 1
    let fixed = true
    let off = 0
    for (const m of members) {
      align = Math.max(align, m.align)
      if (m.fixedSize === undefined) fixed = false
      else off = alignUp(off, m.align) + m.fixedSize
    }
    // A fixed tuple is padded to its alignment; the unit tuple "()" occupies one zero byte.
    const fixedSize = fixed ? (members.length === 0 ? 1 : alignUp(off, align)) : undefined
    return [{ kind: "tuple", members, dictEntry: c === "{", str, align, fixedSize }, j + 1]
  }
  throw new GVariantError({ reason: `unknown type character "${c}" in "${s}"` })
}

export { alignUp }
