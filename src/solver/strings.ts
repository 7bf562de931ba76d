/**
 * Interned strings: every name, version and arch in a pool becomes a small integer once, so the
 * solver compares and indexes integers. Id 0 is the empty string; dependency lists use it as a
 * terminator, so no real name ever has id 0.
 */
export class StringPool {
  readonly strs: string[]
  private ids: Map<string, number> | undefined

  constructor(strs: string[] = [""]) {
    this.strs = strs
    // a pool restored from a snapshot builds its map only when a new string is looked up
    if (strs.length === 1) this.ids = new Map([["", 0]])
  }

  get size(): number {
    return this.strs.length
  }

  private map(): Map<string, number> {
    if (!this.ids) {
      const m = new Map<string, number>()
      for (let i = 0; i < this.strs.length; i++) m.set(this.strs[i]!, i)
      this.ids = m
    }
    return this.ids
  }

  intern(s: string): number {
    const m = this.map()
    let id = m.get(s)
    if (id === undefined) {
      id = this.strs.length
      this.strs.push(s)
      m.set(s, id)
    }
    return id
  }

  lookup(s: string): number | undefined {
    return this.map().get(s)
  }

  str(id: number): string {
    return this.strs[id]!
  }
}
