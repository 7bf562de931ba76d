/**
 * The CDCL engine: two watched literals per clause, unit propagation, first-UIP conflict
 * analysis with learned clauses and non-chronological backjumping. Decisions come from outside
 * (search.ts applies the package policy); this file knows nothing about packages.
 *
 * Every learned clause keeps the clauses it was resolved from, and level-0 assignments keep
 * their reasons, so an unsatisfiable job yields a proof: the original clauses that together
 * admit no solution (problems.ts turns them into sentences).
 */
import { R, type Clauses } from "./clauses.js"

const litIndex = (l: number): number => (l > 0 ? l << 1 : (-l << 1) | 1)

export class Sat {
  /** 1 true, -1 false, 0 unassigned; by solvable id. */
  readonly value: Int8Array
  readonly level: Int32Array
  /** The clause that implied the assignment, -1 for a decision or an assumption. */
  readonly reason: Int32Array
  readonly trail: Int32Array
  trailLen = 0
  private qhead = 0
  /** trail length at the start of each decision level (index = level - 1). */
  readonly levelStart: number[] = []
  // Watch lists as linked lists in typed arrays: head[litIndex] is the first entry watching the
  // literal, next[entry] the following one; entry 2c and 2c+1 are clause c's two watches. No
  // per-literal JS arrays: nothing for the garbage collector on a 60k-variable pool.
  private readonly head: Int32Array
  private next: Int32Array
  private readonly seen: Uint8Array
  /** Antecedents of each learned clause. */
  readonly why = new Map<number, Int32Array>()
  conflicts = 0

  constructor(readonly clauses: Clauses, readonly nvars: number) {
    this.value = new Int8Array(nvars + 1)
    this.level = new Int32Array(nvars + 1)
    this.reason = new Int32Array(nvars + 1).fill(-1)
    this.trail = new Int32Array(nvars + 1)
    this.head = new Int32Array(2 * (nvars + 1)).fill(-1)
    this.next = new Int32Array(Math.max(64, 2 * clauses.count + 64))
    this.seen = new Uint8Array(nvars + 1)
  }

  get decisionLevel(): number {
    return this.levelStart.length
  }

  litValue(l: number): number {
    return l > 0 ? this.value[l]! : -this.value[-l]!
  }

  /** Links watch entry e (of clause e >> 1) into literal l's list. */
  private link(l: number, e: number): void {
    if (e >= this.next.length) {
      const n = new Int32Array(Math.max(e + 64, this.next.length * 2))
      n.set(this.next)
      this.next = n
    }
    const i = litIndex(l)
    this.next[e] = this.head[i]!
    this.head[i] = e
  }

  /**
   * Attaches clause c. Returns -1, or c itself when it is false under the current assignment
   * (a conflict for the caller to analyse). Units and clauses that became unit are assigned.
   */
  attach(c: number): number {
    const cl = this.clauses
    const n = cl.size.data[c]!
    const s = cl.start.data[c]!
    const lits = cl.lits.data
    if (n === 0) return c
    if (n === 1) {
      const v = this.litValue(lits[s]!)
      if (v < 0) return c
      if (v === 0) this.assign(lits[s]!, c)
      return -1
    }
    // watch two literals that are not false if possible, else the latest-assigned false ones
    if (this.litValue(lits[s]!) !== 0 || this.litValue(lits[s + 1]!) !== 0) {
      this.pickWatch(c, 0)
      this.pickWatch(c, 1)
    }
    this.link(lits[s]!, 2 * c)
    this.link(lits[s + 1]!, 2 * c + 1)
    const v0 = this.litValue(lits[s]!)
    const v1 = this.litValue(lits[s + 1]!)
    if (v0 > 0 || v1 > 0) return -1
    if (v0 < 0) return c
    if (v1 < 0) this.assign(lits[s]!, c)
    return -1
  }

  /**
   * attach() for every clause below n that is not disabled, in order, stopping at the first
   * conflict (returned; -1 for none). The common case — two unassigned watches — is done inline:
   * this runs once per clause before the JIT has optimized anything.
   */
  attachAll(n: number, disabled: Int32Array): number {
    const cl = this.clauses
    const size = cl.size.data
    const start = cl.start.data
    const lits = cl.lits.data
    const value = this.value
    const head = this.head
    if (this.next.length < 2 * n) {
      const grown = new Int32Array(2 * n + 64)
      grown.set(this.next)
      this.next = grown
    }
    let next = this.next
    for (let c = 0; c < n; c++) {
      if (disabled[c] !== 0) continue
      if (size[c]! >= 2) {
        const s = start[c]!
        const a = lits[s]!
        const b = lits[s + 1]!
        if ((a > 0 ? value[a] : value[-a]) === 0 && (b > 0 ? value[b] : value[-b]) === 0) {
          // as link(a, 2c) then link(b, 2c + 1)
          const ia = a > 0 ? a << 1 : (-a << 1) | 1
          next[2 * c] = head[ia]!
          head[ia] = 2 * c
          const ib = b > 0 ? b << 1 : (-b << 1) | 1
          next[2 * c + 1] = head[ib]!
          head[ib] = 2 * c + 1
          continue
        }
      }
      const confl = this.attach(c)
      if (confl >= 0) return confl
      next = this.next
    }
    return -1
  }

  private pickWatch(c: number, pos: number): void {
    const cl = this.clauses
    const s = cl.start.data[c]!
    const n = cl.size.data[c]!
    const lits = cl.lits.data
    let best = pos
    let bestScore = this.watchScore(lits[s + pos]!)
    for (let i = pos + 1; i < n; i++) {
      const sc = this.watchScore(lits[s + i]!)
      if (sc > bestScore) {
        best = i
        bestScore = sc
      }
    }
    if (best !== pos) {
      const t = lits[s + pos]!
      lits[s + pos] = lits[s + best]!
      lits[s + best] = t
    }
  }

  /** True beats unassigned beats false; among false, the later level is the better watch. */
  private watchScore(l: number): number {
    const v = this.litValue(l)
    if (v > 0) return 2 ** 40
    if (v === 0) return 2 ** 39
    return this.level[l > 0 ? l : -l]!
  }

  assign(l: number, reason: number): void {
    const v = l > 0 ? l : -l
    this.value[v] = l > 0 ? 1 : -1
    this.level[v] = this.levelStart.length
    this.reason[v] = reason
    this.trail[this.trailLen++] = l
  }

  decide(l: number): void {
    this.levelStart.push(this.trailLen)
    this.assign(l, -1)
  }

  /** Unit propagation; returns a conflicting clause or -1. */
  propagate(): number {
    const cl = this.clauses
    const lits = cl.lits.data
    const start = cl.start.data
    const size = cl.size.data
    const value = this.value
    const head = this.head
    while (this.qhead < this.trailLen) {
      const p = this.trail[this.qhead++]!
      const falseLit = -p
      const fi = litIndex(falseLit)
      // walk falseLit's list, keeping the entries that still watch it
      let e = head[fi]!
      head[fi] = -1
      let keptTail = -1
      while (e !== -1) {
        const nextE = this.next[e]!
        const c = e >> 1
        const s = start[c]!
        // keep the false literal at position 1
        if (lits[s] === falseLit) {
          lits[s] = lits[s + 1]!
          lits[s + 1] = falseLit
        }
        const first = lits[s]!
        const fv = first > 0 ? value[first]! : -value[-first]!
        let moved = false
        if (fv <= 0) {
          const end = s + size[c]!
          for (let k = s + 2; k < end; k++) {
            const l = lits[k]!
            const lv = l > 0 ? value[l]! : -value[-l]!
            if (lv >= 0) {
              lits[s + 1] = l
              lits[k] = falseLit
              this.link(l, e)
              moved = true
              break
            }
          }
        }
        if (!moved) {
          // still watching falseLit: back onto its list
          this.next[e] = -1
          if (keptTail === -1) head[fi] = e
          else this.next[keptTail] = e
          keptTail = e
          if (fv < 0) {
            // conflict: put the rest of the list back unvisited
            this.next[e] = nextE
            this.qhead = this.trailLen
            return c
          }
          if (fv === 0) this.assign(first, c)
        }
        e = nextE
      }
    }
    return -1
  }

  backjump(level: number): void {
    if (level >= this.levelStart.length) return
    const to = this.levelStart[level]!
    for (let i = this.trailLen - 1; i >= to; i--) {
      const l = this.trail[i]!
      const v = l > 0 ? l : -l
      this.value[v] = 0
      this.reason[v] = -1
    }
    this.trailLen = to
    this.qhead = to
    this.levelStart.length = level
  }

  /**
   * First-UIP analysis of a conflict above level 0: learns a clause, backjumps and asserts it.
   * Returns the learned clause id.
   */
  learn(confl: number): number {
    this.conflicts++
    const cl = this.clauses
    const lits = cl.lits.data
    const cur = this.levelStart.length
    const learnt: number[] = [0]
    const why: number[] = []
    let pathC = 0
    let p = 0
    let idx = this.trailLen - 1
    let c = confl
    for (;;) {
      why.push(c)
      const s = cl.start.data[c]!
      const n = cl.size.data[c]!
      for (let k = 0; k < n; k++) {
        const q = lits[s + k]!
        const v = q > 0 ? q : -q
        if (p !== 0 && v === (p > 0 ? p : -p)) continue
        if (this.seen[v] || this.level[v] === 0) continue
        this.seen[v] = 1
        if (this.level[v] === cur) pathC++
        else learnt.push(q)
      }
      while (!this.seen[Math.abs(this.trail[idx]!)]) idx--
      p = this.trail[idx--]!
      const pv = p > 0 ? p : -p
      this.seen[pv] = 0
      pathC--
      if (pathC <= 0) break
      c = this.reason[pv]!
    }
    learnt[0] = -p
    let bt = 0
    let btAt = 1
    for (let k = 1; k < learnt.length; k++) {
      const v = Math.abs(learnt[k]!)
      this.seen[v] = 0
      if (this.level[v]! > bt) {
        bt = this.level[v]!
        btAt = k
      }
    }
    if (learnt.length > 1) {
      const t = learnt[1]!
      learnt[1] = learnt[btAt]!
      learnt[btAt] = t
    }
    this.backjump(bt)
    const id = cl.add(learnt, R.LEARNT)
    this.why.set(id, Int32Array.from(why))
    if (learnt.length === 1) this.assign(learnt[0]!, id)
    else {
      this.link(learnt[0]!, 2 * id)
      this.link(learnt[1]!, 2 * id + 1)
      this.assign(learnt[0]!, id)
    }
    return id
  }

  /**
   * The original clauses behind a conflict at level 0: the conflict clause, the reasons of its
   * level-0 literals, recursively, with learned clauses replaced by their antecedents.
   */
  proof(confl: number): number[] {
    const cl = this.clauses
    const out: number[] = []
    const done = new Set<number>()
    const stack = [confl]
    while (stack.length) {
      const c = stack.pop()!
      if (done.has(c)) continue
      done.add(c)
      const w = this.why.get(c)
      if (w) for (const a of w) stack.push(a)
      else out.push(c)
      for (const l of cl.literals(c)) {
        const v = l > 0 ? l : -l
        const r = this.reason[v]!
        if (r >= 0 && r !== c && this.value[v] !== 0) stack.push(r)
      }
    }
    return out.sort((a, b) => a - b)
  }
}
