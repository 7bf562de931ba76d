/**
 * Dependency ids. A plain name is its string id; anything else — `name op evr`, or a rich
 * (boolean) dependency such as `(a or (b if c))` — is a relation: an interned (a, flags, b)
 * triple whose id has REL_BIT set. For a version relation, a is the name and b the EVR string;
 * for a rich operator both are dependency ids. Interning makes equal dependencies equal ids, so
 * provider lookups are cached per id.
 */
import { SENSE_EQUAL, SENSE_GREATER, SENSE_LESS, SENSE_MASK, senseOperator } from "../formats/rpm/evr.js"
import type { StringPool } from "./strings.js"
import { IntVec } from "./vec.js"

export const REL_BIT = 0x40000000

/** Rich operators; version relations use rpm's sense bits (LESS 2, GREATER 4, EQUAL 8). */
export const Op = { AND: 16, OR: 17, WITH: 18, WITHOUT: 19, IF: 20, UNLESS: 21, ELSE: 22 } as const
export type RichOp = (typeof Op)[keyof typeof Op]

export const OP_WORD: Record<number, string> = { 16: "and", 17: "or", 18: "with", 19: "without", 20: "if", 21: "unless", 22: "else" }

export const isRel = (d: number): boolean => d >= REL_BIT

export { SENSE_EQUAL, SENSE_GREATER, SENSE_LESS, SENSE_MASK }

// a version relation's key is a * 2^28 + b * 16 + flags: exact below 2^53 while a < 2^25 and
// b < 2^24; rich relations (rare) are keyed by text
const B_LIMIT = 1 << 24
const A_LIMIT = 1 << 25

export class DepTable {
  readonly a: IntVec
  readonly b: IntVec
  readonly flags: IntVec
  private keys: Map<number | string, number> | undefined

  constructor(a = new IntVec(), b = new IntVec(), flags = new IntVec()) {
    this.a = a
    this.b = b
    this.flags = flags
  }

  get size(): number {
    return this.a.length
  }

  private map(): Map<number | string, number> {
    if (!this.keys) {
      const m = new Map<number | string, number>()
      for (let i = 0; i < this.a.length; i++) m.set(key(this.a.data[i]!, this.b.data[i]!, this.flags.data[i]!), i)
      this.keys = m
    }
    return this.keys
  }

  /** The id of relation (a, flags, b). */
  rel(a: number, flags: number, b: number): number {
    const k = key(a, b, flags)
    const m = this.map()
    let i = m.get(k)
    if (i === undefined) {
      i = this.a.push(a)
      this.b.push(b)
      this.flags.push(flags)
      m.set(k, i)
    }
    return REL_BIT | i
  }

  relA(d: number): number {
    return this.a.data[d & ~REL_BIT]!
  }

  relB(d: number): number {
    return this.b.data[d & ~REL_BIT]!
  }

  relFlags(d: number): number {
    return this.flags.data[d & ~REL_BIT]!
  }

  /** Whether d is a rich (boolean) dependency rather than a name or a version relation. */
  isRich(d: number): boolean {
    return d >= REL_BIT && this.flags.data[d & ~REL_BIT]! >= Op.AND
  }

  /** The name a plain or versioned dependency is about (rich ones have none: 0). */
  nameOf(d: number): number {
    if (d < REL_BIT) return d
    return this.flags.data[d & ~REL_BIT]! >= Op.AND ? 0 : this.a.data[d & ~REL_BIT]!
  }

  /** rpm's text form: `name`, `name >= evr`, `(a or b)`. */
  format(strings: StringPool, d: number): string {
    if (d < REL_BIT) return strings.str(d)
    const f = this.relFlags(d)
    if (f < Op.AND) return `${strings.str(this.relA(d))} ${senseOperator(f)} ${strings.str(this.relB(d))}`
    return `(${this.formatInner(strings, d)})`
  }

  private formatInner(strings: StringPool, d: number): string {
    const f = this.relFlags(d)
    const side = (x: number, inner: boolean): string => (this.isRich(x) && inner ? this.formatInner(strings, x) : this.format(strings, x))
    // chains of the same operator print flat, as rpm writes them: (a or b or c)
    const left = side(this.relA(d), this.isRich(this.relA(d)) && this.relFlags(this.relA(d)) === f && (f === Op.AND || f === Op.OR || f === Op.WITH))
    const right = this.relB(d)
    const rightText = (f === Op.IF || f === Op.UNLESS) && this.isRich(right) && this.relFlags(right) === Op.ELSE ? this.formatInner(strings, right) : side(right, false)
    return `${left} ${OP_WORD[f]} ${rightText}`
  }
}

const key = (a: number, b: number, flags: number): number | string => {
  if (flags >= Op.AND) return `${a},${flags},${b}`
  if (a >= A_LIMIT || b >= B_LIMIT) throw new RangeError("too many names or versions for the dependency table")
  return a * 2 ** 28 + b * 16 + flags
}
