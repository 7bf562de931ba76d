/**
 * A cache keyed by ids from a large range (string ids, relation ids) holding values for a few
 * thousand of them. An Int32Array maps the id to a slot in a dense list; a plain array written at
 * scattered indices would go holey or dictionary-mode, and one pre-filled to the range's size
 * puts megabytes on the garbage-collected heap for every pool.
 */
export class SlotCache<T> {
  private slot = new Int32Array(1024)
  private readonly values: T[] = []
  /** The id of each value, in the order they were first set. */
  private readonly ids: number[] = []

  get(id: number): T | undefined {
    const k = id < this.slot.length ? this.slot[id]! : 0
    return k === 0 ? undefined : this.values[k - 1]
  }

  /** Every (id, value) held, in id order (sorted from the ids held, not a scan of the range). */
  entries(): Array<[number, T]> {
    return this.ids
      .map((id, k): [number, T] => [id, this.values[k]!])
      .sort((x, y) => x[0] - y[0])
  }

  set(id: number, v: T): void {
    if (id >= this.slot.length) {
      const s = new Int32Array(Math.max(id + 1, this.slot.length * 2))
      s.set(this.slot)
      this.slot = s
    }
    const k = this.slot[id]!
    if (k !== 0) this.values[k - 1] = v
    else {
      this.slot[id] = this.values.push(v)
      this.ids.push(id)
    }
  }
}

