/**
 * Who provides what. Built once per pool: for every name, the solvables providing it (their
 * provides, their self-provide, and — only for paths that some dependency mentions — the files
 * they own, as libsolv's addfileprovides does). A versioned or rich dependency's providers are
 * computed on first use from its name's list and cached by dependency id.
 *
 * Version matching is rpm's (formats/rpm/evr.ts rangesOverlap): an unversioned provide satisfies
 * any versioned requirement of that name.
 */
import { evrKey, keysOverlap, type EvrKey } from "./evr.js"
import { SlotCache } from "./slot-cache.js"
import { Op, REL_BIT } from "./deps.js"
import { K, NKINDS } from "./package.js"
import type { Pool } from "./pool.js"

const EMPTY = new Int32Array(0)

export class ProviderIndex {
  // Provider lists by name id and by relation index, and tokenized versions by string id, made
  // on first use: a typed array maps the id to a slot in a dense list, so nothing the size of
  // the pool lands on the garbage-collected heap.
  private readonly names = new SlotCache<Int32Array>()
  private readonly rels = new SlotCache<Int32Array>()
  private readonly evrs = new SlotCache<EvrKey>()
  private scratch = new Int32Array(256)
  /** Providers from a snapshot: slot[relation index] = 1 + its position in off/list. */
  private imported: { slot: Int32Array; off: Int32Array; list: Int32Array } | undefined

  constructor(
    private readonly pool: Pool,
    /** providers of name id n: list[off[n] .. off[n+1]) */
    readonly off: Int32Array,
    readonly list: Int32Array,
  ) {}

  static build(pool: Pool): ProviderIndex {
    const nStrings = pool.strings.size
    const files = requiredFiles(pool)
    const counts = new Int32Array(nStrings + 1)
    const { depOff, depData, deps } = pool
    const d = depData.data
    const fd = pool.fileData.data
    const fileIds: Array<number[] | undefined> = []
    // pass 1: count (a solvable providing a name twice counts once: lists are per solvable)
    const last = new Int32Array(nStrings).fill(0)
    for (let s = 1; s < pool.count; s++) {
      for (let i = depOff.data[s * NKINDS + K.provides]!; d[i] !== 0; i++) {
        const n = deps.nameOf(d[i]!)
        if (n && last[n] !== s) {
          last[n] = s
          counts[n]!++
        }
      }
      if (files.size)
        for (let i = pool.fileOff.data[s]!; i !== 0 && fd[i] !== 0; i++) {
          const id = fd[i]!
          if (files.has(id) && last[id] !== s) {
            last[id] = s
            counts[id]!++
            ;(fileIds[s] ??= []).push(id)
          }
        }
    }
    const off = new Int32Array(nStrings + 1)
    for (let n = 0; n < nStrings; n++) off[n + 1] = off[n]! + counts[n]!
    const list = new Int32Array(off[nStrings]!)
    const fill = off.slice(0, nStrings)
    last.fill(0)
    for (let s = 1; s < pool.count; s++) {
      for (let i = depOff.data[s * NKINDS + K.provides]!; d[i] !== 0; i++) {
        const n = deps.nameOf(d[i]!)
        if (n && last[n] !== s) {
          last[n] = s
          list[fill[n]!++] = s
        }
      }
      const ids = fileIds[s]
      if (ids) for (const id of ids) list[fill[id]!++] = s
    }
    return new ProviderIndex(pool, off, list)
  }

  /**
   * The providers of every versioned or rich dependency computed so far, as flat arrays (for
   * snapshots: a later run of a similar job then computes almost nothing).
   */
  exportComputed(): { ids: Int32Array; off: Int32Array; list: Int32Array } {
    const imp = this.imported
    if (imp) for (let k = 0; k < imp.slot.length; k++) if (imp.slot[k] !== 0 && this.rels.get(k) === undefined) this.rels.set(k, this.fromImported(k)!)
    const e = this.rels.entries()
    const off = new Int32Array(e.length + 1)
    e.forEach(([, l], i) => (off[i + 1] = off[i]! + l.length))
    const list = new Int32Array(off[e.length]!)
    e.forEach(([, l], i) => list.set(l, off[i]!))
    return { ids: Int32Array.from(e, ([id]) => id), off, list }
  }

  /** Takes exportComputed's arrays; a list is looked up when first asked for (most never are). */
  importComputed({ ids, off, list }: { ids: Int32Array; off: Int32Array; list: Int32Array }): void {
    let max = -1
    for (let i = 0; i < ids.length; i++) if (ids[i]! > max) max = ids[i]!
    const slot = new Int32Array(max + 1)
    for (let i = 0; i < ids.length; i++) slot[ids[i]!] = i + 1
    this.imported = { slot, off, list }
  }

  private fromImported(k: number): Int32Array | undefined {
    const imp = this.imported
    if (!imp || k >= imp.slot.length || imp.slot[k] === 0) return undefined
    const i = imp.slot[k]! - 1
    return imp.off[i] === imp.off[i + 1] ? EMPTY : imp.list.subarray(imp.off[i]!, imp.off[i + 1]!)
  }

  /** Solvables providing name id n (any version), ascending. */
  byName(n: number): Int32Array {
    let r = this.names.get(n)
    if (r === undefined) {
      if (n >= this.off.length - 1) return EMPTY
      const a = this.off[n]!
      const b = this.off[n + 1]!
      r = a === b ? EMPTY : this.list.subarray(a, b)
      this.names.set(n, r)
    }
    return r
  }

  /** The bounds of range()'s answer in the array it returns. */
  lo = 0
  hi = 0

  /**
   * whatprovides(dep) as array[lo, hi) (lo and hi left in this object): for a name or a
   * relation the snapshot brought, a range of the index's own arrays — no subarray or cache entry
   * for each of the thousands of dependencies rule building looks up once.
   */
  range(dep: number): Int32Array {
    if (dep < REL_BIT) {
      if (dep < this.off.length - 1) {
        this.lo = this.off[dep]!
        this.hi = this.off[dep + 1]!
      } else this.lo = this.hi = 0
      return this.list
    }
    const imp = this.imported
    const k = dep & ~REL_BIT
    if (imp !== undefined && k < imp.slot.length && imp.slot[k] !== 0) {
      // imported lists never change (rels only ever caches the same list for them)
      const i = imp.slot[k]! - 1
      this.lo = imp.off[i]!
      this.hi = imp.off[i + 1]!
      return imp.list
    }
    const r = this.whatprovides(dep)
    this.lo = 0
    this.hi = r.length
    return r
  }

  whatprovides(dep: number): Int32Array {
    if (dep < REL_BIT) return this.byName(dep)
    const k = dep & ~REL_BIT
    let r = this.rels.get(k)
    if (r === undefined) {
      r = this.fromImported(k) ?? this.compute(dep)
      this.rels.set(k, r)
    }
    return r
  }

  /** The tokenized form of EVR string id, made once. */
  evr(id: number): EvrKey {
    let e = this.evrs.get(id)
    if (e === undefined) {
      e = evrKey(this.pool.strings.str(id))
      this.evrs.set(id, e)
    }
    return e
  }

  /** Whether solvable s provides dependency `dep` (a name or a version relation). */
  provides(s: number, dep: number): boolean {
    const { deps, depData, depOff } = this.pool
    if (dep < REL_BIT) {
      const p = this.byName(dep)
      return binarySearch(p, s)
    }
    const name = deps.relA(dep)
    const flags = deps.relFlags(dep)
    const want = this.evr(deps.relB(dep))
    const d = depData.data
    for (let i = depOff.data[s * NKINDS + K.provides]!; d[i] !== 0; i++) {
      const p = d[i]!
      if (p < REL_BIT) {
        if (p === name) return true // an unversioned provide satisfies any version (rpm)
        continue
      }
      if (deps.relA(p) !== name || deps.relFlags(p) >= Op.AND) continue
      if (keysOverlap(this.evr(deps.relB(p)), deps.relFlags(p), want, flags)) return true
    }
    // a file provide has no version: a versioned dependency on a path matches by name alone
    return name < this.off.length - 1 && this.pool.strings.startsWith(name, 47) && binarySearch(this.byName(name), s)
  }

  private compute(dep: number): Int32Array {
    const { deps } = this.pool
    const f = deps.relFlags(dep)
    if (f < Op.AND) {
      const name = deps.relA(dep)
      if (name >= this.off.length - 1) return EMPTY
      const list = this.list
      const end = this.off[name + 1]!
      if (this.scratch.length < end - this.off[name]!) this.scratch = new Int32Array(end - this.off[name]!)
      let n = 0
      for (let i = this.off[name]!; i < end; i++) if (this.provides(list[i]!, dep)) this.scratch[n++] = list[i]!
      return n === 0 ? EMPTY : this.scratch.slice(0, n)
    }
    const a = this.whatprovides(deps.relA(dep))
    const b = this.whatprovides(deps.relB(dep))
    switch (f) {
      case Op.AND:
      case Op.WITH:
        return intersect(a, b)
      case Op.WITHOUT:
        return a.filter((s) => !binarySearch(b, s))
      case Op.IF:
      case Op.UNLESS:
        // the packages that could satisfy it: the main branch, or the else branch
        return deps.isRich(deps.relB(dep)) && deps.relFlags(deps.relB(dep)) === Op.ELSE ? union(a, this.whatprovides(deps.relB(deps.relB(dep)))) : a
      case Op.ELSE:
        return union(a, b)
      default:
        return union(a, b)
    }
  }
}

/** Paths named by any dependency other than provides (inside rich ones too). */
const requiredFiles = (pool: Pool): Set<number> => {
  const out = new Set<number>()
  if (pool.fileData.length <= 1) return out // no package lists any file: nothing to match
  const { depOff, depData, deps, strings } = pool
  const d = depData.data
  const seen = new Set<number>()
  const walk = (x: number): void => {
    if (x < REL_BIT) {
      if (strings.startsWith(x, 47)) out.add(x)
      return
    }
    if (seen.has(x)) return
    seen.add(x)
    if (deps.relFlags(x) >= Op.AND) {
      walk(deps.relA(x))
      walk(deps.relB(x))
    } else walk(deps.relA(x))
  }
  for (let s = 1; s < pool.count; s++)
    for (let k = 1; k < NKINDS; k++) for (let i = depOff.data[s * NKINDS + k]!; d[i] !== 0; i++) walk(d[i]!)
  return out
}

const binarySearch = (a: Int32Array, x: number): boolean => {
  let lo = 0
  let hi = a.length - 1
  while (lo <= hi) {
    const m = (lo + hi) >> 1
    const v = a[m]!
    if (v === x) return true
    if (v < x) lo = m + 1
    else hi = m - 1
  }
  return false
}

const intersect = (a: Int32Array, b: Int32Array): Int32Array => {
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(a[i]!)
      i++
      j++
    } else if (a[i]! < b[j]!) i++
    else j++
  }
  return Int32Array.from(out)
}

const union = (a: Int32Array, b: Int32Array): Int32Array => {
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!)
    else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!)
    else {
      out.push(a[i]!)
      i++
      j++
    }
  }
  return Int32Array.from(out)
}

export { binarySearch, intersect, union }
