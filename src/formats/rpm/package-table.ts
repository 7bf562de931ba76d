/**
 * A repository's packages column-wise: one table of strings and typed arrays of indexes into it,
 * instead of one object per package and per dependency. A 63k-package primary.xml has about a
 * million dependencies; as objects they cost the loader a third of its time in the collector,
 * and packing them into the cache as much again. As columns they are a few dozen allocations,
 * the cache is their bytes, and a query (`providersOf`) reads them without building a package.
 * `packageAt(i)` / `toPackages()` give the MdPackage records the solver and the rest consume.
 */
import type { MdDep, MdPackage } from "./repomd.js"

export const DEP_KINDS = ["provides", "requires", "conflicts", "obsoletes", "recommends", "suggests", "supplements", "enhances"] as const
export type DepKind = (typeof DEP_KINDS)[number]
const FLAG_NAMES = [undefined, "EQ", "LT", "GT", "LE", "GE"] as const
const FLAG_CODES = new Map<string, number>([["EQ", 1], ["LT", 2], ["GT", 3], ["LE", 4], ["GE", 5]])
// a dependency's byte: flag code in bits 0-2 (6: another string, in depFlagText), pre in bit 3, kind in bits 4-6
const OTHER_FLAG = 6
const PRE = 8

/** Package string fields, in column order (a column of string ids each; -1 for undefined). */
const STRING_FIELDS = ["pkgid", "name", "arch", "epoch", "version", "release", "summary", "location", "license", "sourcerpm"] as const
/** Package number fields (a Float64 column each; NaN for undefined). */
const NUMBER_FIELDS = ["sizePackage", "sizeInstalled", "buildTime"] as const
export type StringField = (typeof STRING_FIELDS)[number]
export type NumberField = (typeof NUMBER_FIELDS)[number]
export const STRING_FIELD = Object.fromEntries(STRING_FIELDS.map((f, i) => [f, i])) as Record<StringField, number>
export const NUMBER_FIELD = Object.fromEntries(NUMBER_FIELDS.map((f, i) => [f, i])) as Record<NumberField, number>

const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, need: number): T => {
  if (need <= a.length) return a
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2))
  b.set(a)
  return b
}

export interface PackageColumns {
  readonly count: number
  readonly strings: string[]
  /** STRING_FIELDS.length ids per package. */
  readonly pkgStrings: Int32Array
  /** NUMBER_FIELDS.length numbers per package. */
  readonly pkgNumbers: Float64Array
  /** count + 1 offsets into the dependency columns. */
  readonly depStart: Int32Array
  /** name, epoch, ver, rel ids per dependency (-1: absent). */
  readonly depStrings: Int32Array
  readonly depBits: Uint8Array
  /** count + 1 offsets into fileNames. */
  readonly fileStart: Int32Array
  readonly fileNames: Int32Array
  /** Flags other than EQ…GE (rpm-md has none, but they are kept as written): dependency index → text. */
  readonly otherFlags: Readonly<Record<number, string>>
}

/** Appends packages column by column (what the primary.xml scanner fills). */
export class PackageTableBuilder {
  count = 0
  readonly strings: string[] = []
  // the interned strings: an open-addressing hash table of string id + 1 (0: empty), so that the
  // scanner can look a name up by its characters in the document without making a string first
  private slots = new Int32Array(1 << 16)
  private hashes = new Int32Array(1 << 15) // by string id
  private interned = 0
  private pkgStrings = new Int32Array(STRING_FIELDS.length * 1024)
  private pkgNumbers = new Float64Array(NUMBER_FIELDS.length * 1024)
  private depStart = new Int32Array(1025)
  private depStrings = new Int32Array(4 * 8192)
  private depBits = new Uint8Array(8192)
  private deps = 0
  private fileStart = new Int32Array(1025)
  private fileNames = new Int32Array(2048)
  private files = 0
  private otherFlags: Record<number, string> = {}

  /** A string that recurs (names, versions, dependency names): stored once. */
  intern(s: string | undefined): number {
    return s === undefined ? -1 : this.internRange(s, 0, s.length)
  }

  /** intern(s.slice(a, b)), slicing only when the string is new. */
  internRange(s: string, a: number, b: number): number {
    let h = 0x811c9dc5 // FNV-1a over UTF-16 code units
    for (let k = a; k < b; k++) h = Math.imul(h ^ s.charCodeAt(k), 16777619)
    // FNV's low bits cluster on names that differ in one digit; mix them (murmur3's finaliser)
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    h ^= h >>> 16
    const mask = this.slots.length - 1
    const len = b - a
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const e = this.slots[at]!
      if (e === 0) break
      const t = this.strings[e - 1]!
      if (this.hashes[e - 1] === h && t.length === len && s.startsWith(t, a)) return e - 1
    }
    const id = this.strings.push(a === 0 && b === s.length ? s : s.slice(a, b)) - 1
    this.hashes = grow(this.hashes, id + 1)
    this.hashes[id] = h
    this.place(id, h)
    if (++this.interned * 2 > this.slots.length) this.rehash()
    return id
  }

  private place(id: number, h: number): void {
    const mask = this.slots.length - 1
    let at = h & mask
    while (this.slots[at] !== 0) at = (at + 1) & mask
    this.slots[at] = id + 1
  }

  private rehash(): void {
    const old = this.slots
    this.slots = new Int32Array(old.length * 2)
    for (const e of old) if (e) this.place(e - 1, this.hashes[e - 1]!)
  }

  /** A string that rarely recurs (checksums, summaries): not looked up. */
  add(s: string | undefined): number {
    return s === undefined ? -1 : this.strings.push(s) - 1
  }

  /** Starts the next package: every field undefined, summary/license/sourcerpm "". */
  begin(): void {
    const i = this.count
    this.pkgStrings = grow(this.pkgStrings, (i + 1) * STRING_FIELDS.length)
    this.pkgNumbers = grow(this.pkgNumbers, (i + 1) * NUMBER_FIELDS.length)
    const s = i * STRING_FIELDS.length
    this.pkgStrings.fill(-1, s, s + STRING_FIELDS.length)
    const empty = this.intern("")
    this.pkgStrings[s + STRING_FIELD.summary] = empty
    this.pkgStrings[s + STRING_FIELD.license] = empty
    this.pkgStrings[s + STRING_FIELD.sourcerpm] = empty
    this.pkgNumbers.fill(NaN, i * NUMBER_FIELDS.length, (i + 1) * NUMBER_FIELDS.length)
  }

  setString(field: number, id: number): void {
    this.pkgStrings[this.count * STRING_FIELDS.length + field] = id
  }

  getString(field: number): string | undefined {
    const id = this.pkgStrings[this.count * STRING_FIELDS.length + field]!
    return id < 0 ? undefined : this.strings[id]
  }

  setNumber(field: number, v: number): void {
    this.pkgNumbers[this.count * NUMBER_FIELDS.length + field] = v
  }

  dep(kind: number, name: string, flags: string | undefined, epoch: string | undefined, ver: string | undefined, rel: string | undefined, pre: boolean): void {
    this.depIds(kind, this.intern(name), flags, this.intern(epoch), this.intern(ver), this.intern(rel), pre)
  }

  /** A dependency whose strings are interned already (-1: absent). */
  depIds(kind: number, name: number, flags: string | undefined, epoch: number, ver: number, rel: number, pre: boolean): void {
    const d = this.deps++
    this.depStrings = grow(this.depStrings, 4 * (d + 1))
    this.depBits = grow(this.depBits, d + 1)
    const o = 4 * d
    this.depStrings[o] = name
    this.depStrings[o + 1] = epoch
    this.depStrings[o + 2] = ver
    this.depStrings[o + 3] = rel
    const f = flags === undefined ? 0 : (FLAG_CODES.get(flags) ?? OTHER_FLAG)
    if (f === OTHER_FLAG) this.otherFlags[d] = flags!
    this.depBits[d] = f | (pre ? PRE : 0) | (kind << 4)
  }

  file(path: string): void {
    this.fileNames = grow(this.fileNames, this.files + 1)
    this.fileNames[this.files++] = this.intern(path)
  }

  /** Ends the current package. */
  end(): void {
    const i = ++this.count
    this.depStart = grow(this.depStart, i + 1)
    this.fileStart = grow(this.fileStart, i + 1)
    this.depStart[i] = this.deps
    this.fileStart[i] = this.files
  }

  /** Forgets everything (the per-package object path reuses one builder). */
  reset(): void {
    this.count = this.deps = this.files = 0
    this.strings.length = 0
    if (this.interned) this.slots.fill(0)
    this.interned = 0
    this.otherFlags = {}
  }

  addPackage(p: MdPackage): void {
    this.begin()
    for (const f of STRING_FIELDS) this.setString(STRING_FIELD[f], f === "pkgid" || f === "summary" ? this.add(p[f]) : this.intern(p[f]))
    for (const f of NUMBER_FIELDS) this.setNumber(NUMBER_FIELD[f], p[f] ?? NaN)
    DEP_KINDS.forEach((k, n) => {
      for (const d of p[k]) this.dep(n, d.name, d.flags, d.epoch, d.ver, d.rel, d.pre === true)
    })
    for (const f of p.files) this.file(f)
    this.end()
  }

  finish(): PackageTable {
    return new PackageTable({
      otherFlags: this.otherFlags,
      count: this.count, strings: this.strings,
      pkgStrings: this.pkgStrings.subarray(0, this.count * STRING_FIELDS.length), pkgNumbers: this.pkgNumbers.subarray(0, this.count * NUMBER_FIELDS.length),
      depStart: this.depStart.subarray(0, this.count + 1), depStrings: this.depStrings.subarray(0, 4 * this.deps), depBits: this.depBits.subarray(0, this.deps),
      fileStart: this.fileStart.subarray(0, this.count + 1), fileNames: this.fileNames.subarray(0, this.files),
    })
  }
}

// A package has no dependencies of most kinds: they all share this (frozen) empty list.
const NONE = Object.freeze([]) as unknown as MdDep[]

export class PackageTable {
  constructor(readonly c: PackageColumns) {}

  static fromPackages(packages: ReadonlyArray<MdPackage>): PackageTable {
    const b = new PackageTableBuilder()
    for (const p of packages) b.addPackage(p)
    return b.finish()
  }

  /**
   * The tables' packages in order (blocks of one document parsed apart). Strings are not
   * re-interned: a name may have an id in each block, which every reader allows for.
   */
  static concat(tables: ReadonlyArray<PackageTable>): PackageTable {
    if (tables.length === 1) return tables[0]!
    const sum = (f: (c: PackageColumns) => number) => tables.reduce((n, t) => n + f(t.c), 0)
    const count = sum((c) => c.count)
    const pkgStrings = new Int32Array(sum((c) => c.pkgStrings.length))
    const pkgNumbers = new Float64Array(sum((c) => c.pkgNumbers.length))
    const depStart = new Int32Array(count + 1)
    const depStrings = new Int32Array(sum((c) => c.depStrings.length))
    const depBits = new Uint8Array(sum((c) => c.depBits.length))
    const fileStart = new Int32Array(count + 1)
    const fileNames = new Int32Array(sum((c) => c.fileNames.length))
    const otherFlags: Record<number, string> = {}
    const strings = ([] as string[]).concat(...tables.map((t) => t.c.strings)) // native copy, not a million pushes
    let pkgs = 0, deps = 0, files = 0, base = 0
    const shift = (from: Int32Array, to: Int32Array, at: number, by: number) => {
      for (let k = 0; k < from.length; k++) {
        const v = from[k]!
        to[at + k] = v < 0 ? v : v + by
      }
    }
    for (const { c } of tables) {
      shift(c.pkgStrings, pkgStrings, pkgs * STRING_FIELDS.length, base)
      pkgNumbers.set(c.pkgNumbers, pkgs * NUMBER_FIELDS.length)
      shift(c.depStrings, depStrings, deps * 4, base)
      depBits.set(c.depBits, deps)
      shift(c.fileNames, fileNames, files, base)
      for (let i = 1; i <= c.count; i++) {
        depStart[pkgs + i] = deps + c.depStart[i]!
        fileStart[pkgs + i] = files + c.fileStart[i]!
      }
      for (const [d, f] of Object.entries(c.otherFlags)) otherFlags[deps + Number(d)] = f
      pkgs += c.count
      deps += c.depBits.length
      files += c.fileNames.length
      base += c.strings.length
    }
    return new PackageTable({ count, strings, pkgStrings, pkgNumbers, depStart, depStrings, depBits, fileStart, fileNames, otherFlags })
  }

  get length(): number {
    return this.c.count
  }

  string(i: number, field: StringField): string | undefined {
    const id = this.c.pkgStrings[i * STRING_FIELDS.length + STRING_FIELD[field]]!
    return id < 0 ? undefined : this.c.strings[id]
  }

  /** Package i as an MdPackage record (built on every call). */
  packageAt(i: number): MdPackage {
    const { strings, pkgStrings, pkgNumbers, depStart, depStrings, depBits, fileStart, fileNames } = this.c
    const s = i * STRING_FIELDS.length
    const str = (k: number): string => {
      const id = pkgStrings[s + k]!
      return (id < 0 ? undefined : strings[id]) as string
    }
    const num = (k: number): number => {
      const v = pkgNumbers[i * NUMBER_FIELDS.length + k]!
      return (Number.isNaN(v) ? undefined : v) as number
    }
    const p = {
      pkgid: str(0), name: str(1), arch: str(2), epoch: str(3), version: str(4), release: str(5), summary: str(6), location: str(7),
      sizePackage: num(0), sizeInstalled: num(1), buildTime: num(2), license: str(8), sourcerpm: str(9),
      provides: NONE, requires: NONE, conflicts: NONE, obsoletes: NONE, recommends: NONE, suggests: NONE, supplements: NONE, enhances: NONE,
      files: [] as string[],
    }
    for (let d = depStart[i]!, e = depStart[i + 1]!; d < e; d++) {
      const bits = depBits[d]!
      const o = 4 * d
      const dep: { -readonly [K in keyof MdDep]: MdDep[K] } = { name: strings[depStrings[o]!]! }
      if (bits & 7) dep.flags = (bits & 7) === OTHER_FLAG ? this.c.otherFlags[d]! : FLAG_NAMES[bits & 7]!
      if (depStrings[o + 1]! >= 0) dep.epoch = strings[depStrings[o + 1]!]!
      if (depStrings[o + 2]! >= 0) dep.ver = strings[depStrings[o + 2]!]!
      if (depStrings[o + 3]! >= 0) dep.rel = strings[depStrings[o + 3]!]!
      if (bits & PRE) dep.pre = true
      const kind = DEP_KINDS[bits >> 4]!
      const list = p[kind] === NONE ? (p[kind] = []) : p[kind]
      list.push(dep)
    }
    for (let f = fileStart[i]!, e = fileStart[i + 1]!; f < e; f++) p.files.push(strings[fileNames[f]!]!)
    return p
  }

  toPackages(): MdPackage[] {
    const out = new Array<MdPackage>(this.c.count)
    for (let i = 0; i < this.c.count; i++) out[i] = this.packageAt(i)
    return out
  }

  /** Indexes of the packages with a `kind` dependency named `name` (e.g. who provides it). */
  withDependency(kind: DepKind, name: string): number[] {
    const { strings, depStart, depStrings, depBits } = this.c
    const ids = new Set<number>()
    for (let k = 0; k < strings.length; k++) if (strings[k] === name) ids.add(k)
    const out: number[] = []
    if (!ids.size) return out
    const code = DEP_KINDS.indexOf(kind)
    for (let i = 0, d = 0; i < this.c.count; i++) {
      for (const e = depStart[i + 1]!; d < e; d++)
        if (depBits[d]! >> 4 === code && ids.has(depStrings[4 * d]!)) {
          out.push(i)
          d = e
          break
        }
    }
    return out
  }

  /** Indexes of the packages listing file `path`. */
  withFile(path: string): number[] {
    const { strings, fileStart, fileNames } = this.c
    const out: number[] = []
    for (let i = 0, f = 0; i < this.c.count; i++) {
      for (const e = fileStart[i + 1]!; f < e; f++)
        if (strings[fileNames[f]!] === path) {
          out.push(i)
          f = e
          break
        }
    }
    return out
  }

  /** The same packages with their file lists replaced where `files(i)` gives one (filelists.xml). */
  withFiles(files: (i: number) => ReadonlyArray<string> | undefined): PackageTable {
    const c = this.c
    const strings = c.strings.slice()
    const fileStart = new Int32Array(c.count + 1)
    const names: number[] = []
    for (let i = 0; i < c.count; i++) {
      const list = files(i)
      if (list) for (const f of list) names.push(strings.push(f) - 1)
      else for (let f = c.fileStart[i]!; f < c.fileStart[i + 1]!; f++) names.push(c.fileNames[f]!)
      fileStart[i + 1] = names.length
    }
    return new PackageTable({ ...c, strings, fileStart, fileNames: Int32Array.from(names) })
  }

  // ---- the cache file: a JSON head, then the columns' bytes, then the strings joined by NUL ----
  // (XML cannot carry U+0000, so no string holds one; typed arrays are written in the machine's
  // byte order, which the head records)

  serialize(): Buffer[] {
    const c = this.c
    const text = Buffer.from(c.strings.join("\0"), "utf8")
    const cols = [c.pkgStrings, c.pkgNumbers, c.depStart, c.depStrings, c.depBits, c.fileStart, c.fileNames]
    const head = Buffer.from(JSON.stringify({ count: c.count, strings: c.strings.length, le: LITTLE, cols: cols.map((a) => a.length), text: text.length, otherFlags: c.otherFlags }))
    const len = Buffer.alloc(4)
    len.writeUInt32LE(head.length)
    const out: Buffer[] = [len, head]
    let at = 4 + head.length
    for (const a of cols) {
      const pad = (8 - (at % 8)) % 8 // every column aligned for its typed array view
      if (pad) out.push(Buffer.alloc(pad))
      at += pad + a.byteLength
      out.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength))
    }
    out.push(text)
    return out
  }

  /** Reads what serialize wrote; throws on anything else. `file` must stay unmodified. */
  static deserialize(file: Buffer): PackageTable {
    const hl = file.readUInt32LE(0)
    const head = JSON.parse(file.toString("utf8", 4, 4 + hl)) as { count: number; strings: number; le: boolean; cols: number[]; text: number; otherFlags: Record<number, string> }
    if (head.le !== LITTLE) throw new Error("cache written with another byte order")
    // typed array views need an offset aligned to their element size: copy a file that is not
    const bytes = file.byteOffset % 8 ? new Uint8Array(file.length) : new Uint8Array(file.buffer as ArrayBuffer, file.byteOffset, file.length)
    if (bytes.buffer !== file.buffer) bytes.set(file)
    let at = 4 + hl
    const kinds = [Int32Array, Float64Array, Int32Array, Int32Array, Uint8Array, Int32Array, Int32Array] as const
    const cols = kinds.map((K, n) => {
      at += (8 - (at % 8)) % 8
      const a = new K(bytes.buffer, bytes.byteOffset + at, head.cols[n]!)
      at += a.byteLength
      return a
    })
    if (at + head.text !== file.length) throw new Error("cache file has the wrong size")
    const strings = head.strings ? file.toString("utf8", at, at + head.text).split("\0") : []
    if (strings.length !== head.strings) throw new Error("cache string table is damaged")
    const [pkgStrings, pkgNumbers, depStart, depStrings, depBits, fileStart, fileNames] = cols as [Int32Array, Float64Array, Int32Array, Int32Array, Uint8Array, Int32Array, Int32Array]
    return new PackageTable({ count: head.count, otherFlags: head.otherFlags, strings, pkgStrings, pkgNumbers, depStart, depStrings, depBits, fileStart, fileNames })
  }
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
