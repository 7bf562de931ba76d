/**
 * A pool saved as bytes and loaded back without rebuilding anything: the interned strings (arena,
 * offsets, hash table), the dependency table, every per-package column and the provider index
 * are typed arrays, written one after the other behind a small JSON header and loaded as views
 * over the same bytes. This is strata's counterpart of libsolv's .solv file — the warm path of a
 * large repository. What callers attached to packages (Pool.data) is not saved.
 */
import { DepTable } from "./deps.js"
import { Pool, type PoolColumn } from "./pool.js"
import { StringPool } from "./strings.js"
import { IntVec } from "./vec.js"
import { ProviderIndex } from "./whatprovides.js"

const MAGIC = "strata-pool"
const VERSION = 1

export class SnapshotError extends Error {
  override readonly name = "SnapshotError"
}

const COLUMNS: ReadonlyArray<PoolColumn> = ["name", "evr", "arch", "repo", "excluded", "depOff", "depData", "fileOff", "fileData"]

interface Header {
  magic: string
  v: number
  arch: string
  colors: boolean
  repos: Array<{ name: string; priority: number; installed: boolean }>
  strings: number
  sections: Array<[string, "u8" | "i32", number]>
  /** Whatever the caller wants kept with the pool (e.g. the inputs' checksums). */
  meta: unknown
}

/** The pool as bytes; `meta` is stored in the header and returned by loadSnapshot. */
export const saveSnapshot = (pool: Pool, meta: unknown = null): Uint8Array => {
  const index = pool.finalize()
  const sd = pool.strings.data()
  const parts: Array<[string, Uint8Array | Int32Array]> = [
    ["s.arena", sd.arena], ["s.off", sd.off], ["s.table", sd.table],
    ["d.a", pool.deps.a.toArray()], ["d.b", pool.deps.b.toArray()], ["d.flags", pool.deps.flags.toArray()], ["d.table", pool.deps.tableData()],
    ...COLUMNS.map((c): [string, Int32Array] => [`c.${c}`, pool[c].toArray()]),
    ["i.off", index.off], ["i.list", index.list],
    // a scan of every package on each solve otherwise (slow before the JIT has warmed up)
    ["p.sup", Int32Array.from(pool.supplementers())],
    ...Object.entries(index.exportComputed()).map(([k, a]): [string, Int32Array] => [`r.${k}`, a]),
  ]
  const header: Header = {
    magic: MAGIC, v: VERSION, arch: pool.policy.arch === "" ? "" : pool.archSpec, colors: pool.implicitObsoleteUsesColors,
    repos: pool.repos.map((r) => ({ name: r.name, priority: r.priority, installed: r.installed })),
    strings: sd.count,
    sections: parts.map(([name, a]) => [name, a instanceof Uint8Array ? "u8" : "i32", a.length]),
    meta,
  }
  const head = new TextEncoder().encode(JSON.stringify(header))
  const pad = (n: number): number => (n + 7) & ~7
  let size = pad(8 + head.length)
  for (const [, a] of parts) size += pad(a.byteLength)
  const out = new Uint8Array(size)
  new DataView(out.buffer).setUint32(0, head.length, true)
  out.set(head, 8)
  let at = pad(8 + head.length)
  for (const [, a] of parts) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at)
    at += pad(a.byteLength)
  }
  return out
}

/** Reads the meta a snapshot was saved with, without loading the pool. */
export const snapshotMeta = (bytes: Uint8Array): unknown => readHeader(bytes).meta

const readHeader = (bytes: Uint8Array): Header => {
  if (bytes.length < 8) throw new SnapshotError("pool snapshot: truncated")
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true)
  if (8 + len > bytes.length) throw new SnapshotError("pool snapshot: truncated header")
  let h: Header
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as Header
  } catch {
    throw new SnapshotError("pool snapshot: unreadable header")
  }
  if (h.magic !== MAGIC || h.v !== VERSION) throw new SnapshotError("pool snapshot: not a strata pool of this version")
  return h
}

/** A pool from saveSnapshot's bytes; its arrays are views over `bytes` where alignment allows. */
export const loadSnapshot = (input: Uint8Array): { pool: Pool; meta: unknown } => {
  // views need 4-byte alignment of the underlying buffer
  const bytes = input.byteOffset % 8 === 0 ? input : input.slice()
  const h = readHeader(bytes)
  const pad = (n: number): number => (n + 7) & ~7
  let at = pad(8 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true))
  const sec = new Map<string, Uint8Array | Int32Array>()
  for (const [name, type, length] of h.sections) {
    const byteLength = type === "u8" ? length : length * 4
    if (at + byteLength > bytes.length) throw new SnapshotError("pool snapshot: truncated section")
    sec.set(name, type === "u8" ? bytes.subarray(at, at + length) : new Int32Array(bytes.buffer, bytes.byteOffset + at, length))
    at += pad(byteLength)
  }
  const i32 = (n: string): Int32Array => {
    const a = sec.get(n)
    if (!(a instanceof Int32Array)) throw new SnapshotError(`pool snapshot: missing ${n}`)
    return a
  }
  const strings = new StringPool({ arena: sec.get("s.arena") as Uint8Array, off: i32("s.off"), count: h.strings, table: i32("s.table") })
  const deps = new DepTable(IntVec.from(i32("d.a")), IntVec.from(i32("d.b")), IntVec.from(i32("d.flags")), i32("d.table"))
  const columns = Object.fromEntries(COLUMNS.map((c) => [c, IntVec.from(i32(`c.${c}`))])) as Record<PoolColumn, IntVec>
  const pool = new Pool({ arch: h.arch, implicitObsoleteUsesColors: h.colors }, { strings, deps, columns })
  for (const r of h.repos) pool.addRepo(r)
  pool.index = new ProviderIndex(pool, i32("i.off"), i32("i.list"))
  if (sec.has("p.sup")) pool.restoreSupplementers(i32("p.sup"))
  if (sec.has("r.ids")) pool.index.importComputed({ ids: i32("r.ids"), off: i32("r.off"), list: i32("r.list") })
  return { pool, meta: h.meta }
}
