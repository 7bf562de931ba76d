/**
 * A growable Int32Array: the pool and the clause store keep millions of small integers, and a
 * typed array is a quarter of the memory of a JS array of numbers and never holds holes.
 */
export class IntVec {
  data: Int32Array
  length = 0

  constructor(capacity = 16) {
    this.data = new Int32Array(Math.max(4, capacity))
  }

  static from(data: Int32Array): IntVec {
    const v = new IntVec(0)
    v.data = data
    v.length = data.length
    return v
  }

  push(x: number): number {
    if (this.length === this.data.length) this.grow(this.length + 1)
    this.data[this.length] = x
    return this.length++
  }

  grow(min: number): void {
    if (min <= this.data.length) return
    const next = new Int32Array(Math.max(min, this.data.length * 2))
    next.set(this.data.subarray(0, this.length))
    this.data = next
  }

  get(i: number): number {
    return this.data[i]!
  }

  set(i: number, x: number): void {
    this.data[i] = x
  }

  /** The used part, copied into an array of exactly this length. */
  toArray(): Int32Array {
    return this.data.slice(0, this.length)
  }
}
