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

const hash3 = (a: number, b: number, f: number): number => {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35)
  h = Math.imul(h ^ (h >>> 16) ^ f, 0x27d4eb2f)
  return (h ^ (h >>> 15)) >>> 0
}

export class DepTable {
  readonly a: IntVec
  readonly b: IntVec
  readonly flags: IntVec
  /** Open addressing over (a, b, flags): slots hold index + 1. */
  private table: Int32Array
  private mask: number

  constructor(a = new IntVec(1024), b = new IntVec(1024), flags = new IntVec(1024), table?: Int32Array) {
    this.a = a
    this.b = b
    this.flags = flags
    if (table) this.table = table
    else {
      this.table = new Int32Array(2048)
      for (let i = 0; i < a.length; i++) this.place(i)
    }
    this.mask = this.table.length - 1
  }

  get size(): number {
    return this.a.length
  }

  /** The hash table, for snapshots. */
  tableData(): Int32Array {
    return this.table.slice()
  }

  private place(i: number): void {
    const mask = this.table.length - 1
    let slot = hash3(this.a.data[i]!, this.b.data[i]!, this.flags.data[i]!) & mask
    while (this.table[slot] !== 0) slot = (slot + 1) & mask
    this.table[slot] = i + 1
  }

  /** The id of relation (a, flags, b). */
  rel(a: number, flags: number, b: number): number {
    const A = this.a.data
    const B = this.b.data
    const F = this.flags.data
    let slot = hash3(a, b, flags) & this.mask
    for (;;) {
      const v = this.table[slot]!
      if (v === 0) break
      const i = v - 1
      if (A[i] === a && B[i] === b && F[i] === flags) return REL_BIT | i
      slot = (slot + 1) & this.mask
    }
    const i = this.a.push(a)
    this.b.push(b)
    this.flags.push(flags)
    this.table[slot] = i + 1
    if (this.a.length * 2 > this.table.length) {
      this.table = new Int32Array(this.table.length * 2)
      this.mask = this.table.length - 1
      for (let k = 0; k < this.a.length; k++) this.place(k)
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
