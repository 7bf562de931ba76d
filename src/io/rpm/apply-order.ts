/**
 * Transaction order for applyPackages: a package comes after the packages of the same set that
 * provide what it requires (by name with version ranges, or by file path), so a %pre that needs
 * /bin/sh or a user from `setup` finds them. Among the packages that are ready, names go in
 * sorted order (the result does not depend on the caller's order). A cycle is broken at the
 * package with the fewest unmet install-time prerequisites (Requires(pre/post), PreReq), then by
 * name — the edge rpm also considers weakest is a plain Requires. A package that ships a
 * symlink (filesystem's /lib → usr/lib) also comes before every package with files beneath it,
 * dependency or not: installed the other way round, the directory would be created first and
 * the symlink could not take its place.
 */
import { deps, SENSE } from "../../formats/rpm/deps.js"
import { depMatches, type Dep } from "../../formats/rpm/evr.js"
import { files as headerFiles, isLink } from "../../formats/rpm/files.js"
import { string, type Header } from "../../formats/rpm/header.js"
import { T } from "../../formats/rpm/tags.js"

const STRONG = SENSE.PREREQ | SENSE.SCRIPT_PRE | SENSE.SCRIPT_POST | SENSE.PRETRANS | SENSE.POSTTRANS

/** Indices of `headers` in install order. */
export const installOrder = (headers: ReadonlyArray<Header>): number[] => {
  const n = headers.length
  const names = headers.map((h) => string(h, T.NAME) ?? "")
  const provides = new Map<string, Array<[number, Dep]>>()
  const files = new Map<string, number[]>()
  const symlinks = new Map<string, number>()
  const lists = headers.map((h) => headerFiles(h))
  headers.forEach((h, i) => {
    for (const d of deps(h, "provides")) {
      const l = provides.get(d.name) ?? []
      l.push([i, d])
      provides.set(d.name, l)
    }
    for (const f of lists[i]!) {
      const l = files.get(f.path) ?? []
      l.push(i)
      files.set(f.path, l)
      if (isLink(f.mode)) symlinks.set(f.path, i)
    }
  })
  // in[i]: providers of i's requirements → whether any of those edges is a prerequisite
  const incoming = Array.from({ length: n }, () => new Map<number, boolean>())
  headers.forEach((h, i) => {
    for (const r of deps(h, "requires")) {
      if (r.name.startsWith("rpmlib(") || r.name.startsWith("(")) continue
      const strong = (r.flags & STRONG) !== 0
      const from = new Set<number>()
      for (const [j, p] of provides.get(r.name) ?? []) if (depMatches(p, r)) from.add(j)
      if (r.name.startsWith("/")) for (const j of files.get(r.name) ?? []) from.add(j)
      for (const j of from) if (j !== i) incoming[i]!.set(j, (incoming[i]!.get(j) ?? false) || strong)
    }
  })
  if (symlinks.size)
    lists.forEach((list, i) => {
      for (const f of list) {
        for (let cut = f.path.lastIndexOf("/"); cut > 0; cut = f.path.lastIndexOf("/", cut - 1)) {
          const j = symlinks.get(f.path.slice(0, cut))
          if (j !== undefined && j !== i) incoming[i]!.set(j, true)
        }
      }
    })
  const outgoing = Array.from({ length: n }, () => [] as number[])
  const indegree = incoming.map((m, i) => {
    for (const j of m.keys()) outgoing[j]!.push(i)
    return m.size
  })
  const done = new Set<number>()
  const order: number[] = []
  const byName = (a: number, b: number): number => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : a - b)
  // the ready set, kept sorted by name: each placement can make a name that sorts earlier ready
  const ready: number[] = []
  const push = (i: number): void => {
    let lo = 0
    let hi = ready.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (byName(ready[mid]!, i) < 0) lo = mid + 1
      else hi = mid
    }
    ready.splice(lo, 0, i)
  }
  const place = (i: number): void => {
    done.add(i)
    order.push(i)
    for (const k of outgoing[i]!) if (!done.has(k) && --indegree[k]! === 0) push(k)
  }
  for (let i = 0; i < n; i++) if (indegree[i] === 0) push(i)
  while (order.length < n) {
    if (ready.length) {
      place(ready.shift()!)
      continue
    }
    // a cycle: break it where the fewest prerequisites are still unmet
    const strongLeft = (i: number): number => [...incoming[i]!].filter(([j, s]) => s && !done.has(j)).length
    let pick = -1
    let best = Infinity
    for (let i = 0; i < n; i++) {
      if (done.has(i)) continue
      const c = strongLeft(i)
      if (c < best || (c === best && byName(i, pick) < 0)) [pick, best] = [i, c]
    }
    place(pick)
  }
  return order
}

/** Indices of `headers` in erase order: dependents before what they depend on. */
export const eraseOrder = (headers: ReadonlyArray<Header>): number[] => installOrder(headers).reverse()
