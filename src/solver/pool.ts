/**
 * The pool: every package the solver may consider — the installed set and the repositories' —
 * stored column-wise in typed arrays of interned ids, so 63k packages with a million
 * dependencies cost a few megabytes and no per-package objects. Solvable ids start at 1 (0 is
 * "none"). Each package has eight dependency lists (package.ts KINDS) in one shared array, each
 * list ending in 0.
 *
 * Build it with addRepo/addPackage (or the adapters in input-*.ts), then call finalize() before
 * solving: that indexes who provides what (whatprovides.ts), including the files other packages
 * require.
 */
import { SENSE_EQUAL, SENSE_MASK } from "../formats/rpm/evr.js"
import { archPolicy, colorsMatch, type ArchPolicy } from "./arch.js"
import { DepTable, isRel } from "./deps.js"
import { evrText, NKINDS, KINDS, normalizeDepEvr, type PackageInput } from "./package.js"
import { StringPool } from "./strings.js"
import { IntVec } from "./vec.js"
import { ProviderIndex } from "./whatprovides.js"

export interface Repo {
  readonly id: number
  readonly name: string
  /** libsolv's sense: higher wins. dnf's `priority=` (lower wins) maps to its negation. */
  readonly priority: number
  readonly installed: boolean
}

export type PoolColumn = "name" | "evr" | "arch" | "repo" | "excluded" | "depOff" | "depData" | "fileOff" | "fileData"

export interface PoolOptions {
  /** System arch ("x86_64"), a policy string ("x86_64:i686"), or "" for no arch policy. */
  readonly arch?: string
  /**
   * Same-name packages of different colors (x86_64 and i686) may be installed together, as dnf
   * sets it (POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS); default true.
   */
  readonly implicitObsoleteUsesColors?: boolean
}

const EMPTY = new Int32Array(0)

/** Turns rich dependency text into a dependency id (an unparsable one into a plain name). */
export type RichParser = (strings: StringPool, deps: DepTable, text: string) => number

// rich.ts registers its parser when loaded: the package-format parser behind it (and effect,
// behind that one's errors) costs as much to load as a warm solve takes, and a pool loaded
// from a snapshot never parses text. Everything that builds pools from text (input-*.ts,
// index.ts) imports rich.ts.
let richParser: RichParser | undefined

export const setRichParser = (p: RichParser): void => {
  richParser = p
}

export class Pool {
  readonly strings: StringPool
  readonly deps: DepTable
  readonly policy: ArchPolicy
  /** The arch (or policy string) the pool was made for. */
  readonly archSpec: string
  readonly implicitObsoleteUsesColors: boolean
  readonly repos: Repo[] = []
  installedRepo = -1

  // per solvable (index 0 unused)
  readonly name: IntVec
  readonly evr: IntVec
  readonly arch: IntVec
  readonly repo: IntVec
  readonly excluded: IntVec
  /** NKINDS offsets into depData per solvable. */
  readonly depOff: IntVec
  readonly depData: IntVec
  /** Offset per solvable into fileData: its files as string ids, 0-terminated (0: none). */
  readonly fileOff: IntVec
  readonly fileData: IntVec
  /** Whatever the caller attached to each package (its MdPackage, its rpmdb header…). */
  readonly data: unknown[] = []

  index: ProviderIndex | undefined
  private archScoreById: Int32Array | undefined
  /** Rich dependency text → its id, for text seen before. */
  private readonly richIds = new Map<string, number>()
  private installedCache: number[] | undefined
  private supplementerCache: number[] | undefined

  constructor({ arch = "x86_64", implicitObsoleteUsesColors = true }: PoolOptions = {}, restored?: { strings: StringPool; deps: DepTable; columns: Record<PoolColumn, IntVec> }) {
    this.policy = archPolicy(arch)
    this.archSpec = arch
    this.implicitObsoleteUsesColors = implicitObsoleteUsesColors
    this.strings = restored?.strings ?? new StringPool()
    this.deps = restored?.deps ?? new DepTable()
    const c = restored?.columns
    this.name = c?.name ?? IntVec.from(new Int32Array(1))
    this.evr = c?.evr ?? IntVec.from(new Int32Array(1))
    this.arch = c?.arch ?? IntVec.from(new Int32Array(1))
    this.repo = c?.repo ?? IntVec.from(new Int32Array(1))
    this.excluded = c?.excluded ?? IntVec.from(new Int32Array(1))
    this.depOff = c?.depOff ?? IntVec.from(new Int32Array(NKINDS))
    // offset 0 holds a lone terminator: the shared empty list
    this.depData = c?.depData ?? IntVec.from(new Int32Array(1))
    this.fileOff = c?.fileOff ?? IntVec.from(new Int32Array(1))
    this.fileData = c?.fileData ?? IntVec.from(new Int32Array(1))
  }

  /** Number of solvables + 1 (ids run 1..count-1). */
  get count(): number {
    return this.name.length
  }

  addRepo({ name, priority = 0, installed = false }: { name: string; priority?: number; installed?: boolean }): number {
    const id = this.repos.length
    this.repos.push({ id, name, priority, installed })
    if (installed) this.installedRepo = id
    this.installedCache = undefined
    return id
  }

  isInstalled(s: number): boolean {
    return this.repo.data[s] === this.installedRepo
  }

  /** A dependency id from rpm's (name, flags, evr); rich names are parsed into trees. */
  dep(name: string, flags: number, evr: string): number {
    if (name.charCodeAt(0) === 40 /* ( */) {
      // the same text recurs across thousands of packages (Debian's "(debconf or debconf-2.0)"):
      // parsing interns the same strings and relations each time, so the first id is the answer
      let id = this.richIds.get(name)
      if (id === undefined) {
        if (!richParser) throw new Error("solver: no rich dependency parser; import src/solver/rich.js before building a pool from text")
        id = richParser(this.strings, this.deps, name)
        this.richIds.set(name, id)
      }
      return id
    }
    const n = this.strings.intern(name)
    if (!(flags & SENSE_MASK) || !evr) return n
    return this.deps.rel(n, flags & SENSE_MASK, this.strings.intern(normalizeDepEvr(evr)))
  }

  /**
   * Adds a solvable from interned parts. `lists[k]` are the dependency ids of kind k (KINDS
   * order); a self-provide `name = evr` is added when missing, as rpm and libsolv do.
   */
  addSolvable(repo: number, nameId: number, evrId: number, archId: number, lists: ReadonlyArray<ArrayLike<number> | undefined>, files?: ArrayLike<number>, data?: unknown): number {
    const s = this.name.push(nameId)
    this.evr.push(evrId)
    this.arch.push(archId)
    this.repo.push(repo)
    this.excluded.push(0)
    if (files?.length) {
      this.fileOff.push(this.fileData.length)
      for (let i = 0; i < files.length; i++) this.fileData.push(files[i]!)
      this.fileData.push(0)
    } else this.fileOff.push(0)
    if (data !== undefined) this.data[s] = data
    const self = this.deps.rel(nameId, SENSE_EQUAL, evrId)
    for (let k = 0; k < NKINDS; k++) {
      const list = lists[k]
      let needSelf = k === 0
      if (needSelf && list) for (let i = 0; i < list.length; i++) if (list[i] === self) needSelf = false
      if (!list?.length && !needSelf) {
        this.depOff.push(0)
        continue
      }
      this.depOff.push(this.depData.length)
      if (needSelf) this.depData.push(self)
      if (list) for (let i = 0; i < list.length; i++) this.depData.push(list[i]!)
      this.depData.push(0)
    }
    this.index = undefined
    this.installedCache = this.supplementerCache = undefined
    return s
  }

  addPackage(repo: number, p: PackageInput, data?: unknown): number {
    const lists = KINDS.map((k) => p[k]?.map((d) => this.dep(d.name, d.flags, d.evr)))
    const files = p.files?.map((f) => this.strings.intern(f))
    return this.addSolvable(repo, this.strings.intern(p.name), this.strings.intern(evrText(p.epoch, p.version, p.release)), this.strings.intern(p.arch), lists, files, data ?? p)
  }

  /** Dependency ids of kind k (package.ts K) of solvable s, without the terminator. */
  depsOf(s: number, k: number): Int32Array {
    const start = this.depOff.data[s * NKINDS + k]!
    if (start === 0) return EMPTY
    let end = start
    const d = this.depData.data
    while (d[end] !== 0) end++
    return d.subarray(start, end)
  }

  /** File string ids of solvable s. */
  filesOf(s: number): Int32Array {
    const start = this.fileOff.data[s]!
    if (start === 0) return EMPTY
    let end = start
    const d = this.fileData.data
    while (d[end] !== 0) end++
    return d.subarray(start, end)
  }

  /** Replaces the file lists of some solvables (e.g. from filelists.xml, after primary.xml). */
  setFiles(files: ReadonlyMap<number, ReadonlyArray<string>>): void {
    for (const [s, list] of files) {
      if (!list.length) continue
      this.fileOff.data[s] = this.fileData.length
      for (const f of list) this.fileData.push(this.strings.intern(f))
      this.fileData.push(0)
    }
    this.index = undefined
  }

  /** Marks solvable s excluded (dnf's excludepkgs): it can never be installed. */
  exclude(s: number): void {
    this.excluded.data[s] = 1
  }

  archScoreOf(s: number): number {
    const a = this.arch.data[s]!
    // by arch string id, score + 1 (0: not looked up yet); strings added later fall outside
    let byId = this.archScoreById
    if (byId === undefined || a >= byId.length) byId = this.archScoreById = new Int32Array(this.strings.size + 1)
    const v = byId[a]!
    if (v !== 0) return v - 1
    const score = this.policy.score(this.strings.str(a))
    byId[a] = score + 1
    return score
  }

  /** Whether s may be newly installed: a compatible arch and not excluded. */
  installable(s: number): boolean {
    return this.archScoreOf(s) !== 0 && this.excluded.data[s] === 0
  }

  /** Builds the provider index; called again automatically after more packages are added. */
  finalize(): ProviderIndex {
    if (!this.index) this.index = ProviderIndex.build(this)
    return this.index
  }

  whatprovides(d: number): Int32Array {
    return this.finalize().whatprovides(d)
  }

  nevra(s: number): string {
    return `${this.strings.str(this.name.data[s]!)}-${this.strings.str(this.evr.data[s]!)}.${this.strings.str(this.arch.data[s]!)}`
  }

  nameOf(s: number): string {
    return this.strings.str(this.name.data[s]!)
  }

  evrOf(s: number): string {
    return this.strings.str(this.evr.data[s]!)
  }

  archOf(s: number): string {
    return this.strings.str(this.arch.data[s]!)
  }

  repoOf(s: number): Repo {
    return this.repos[this.repo.data[s]!]!
  }

  formatDep(d: number): string {
    return this.deps.format(this.strings, d)
  }

  /** Solvable ids of the installed packages, in id order (do not modify). */
  installedIds(): ReadonlyArray<number> {
    if (!this.installedCache) {
      const out: number[] = []
      const r = this.repo.data
      if (this.installedRepo >= 0) for (let s = 1; s < this.count; s++) if (r[s] === this.installedRepo) out.push(s)
      this.installedCache = out
    }
    return this.installedCache
  }

  /** Solvable ids of the packages that have supplements (do not modify). */
  supplementers(): ReadonlyArray<number> {
    if (!this.supplementerCache) {
      const out: number[] = []
      const off = this.depOff.data
      for (let s = 1; s < this.count; s++) if (off[s * NKINDS + 6] !== 0) out.push(s)
      this.supplementerCache = out
    }
    return this.supplementerCache
  }

  /** Sets the supplementers list from a snapshot (it is a scan of the whole pool otherwise). */
  restoreSupplementers(list: ArrayLike<number>): void {
    this.supplementerCache = Array.from(list)
  }

  isRelDep(d: number): boolean {
    return isRel(d)
  }

  /** Whether same-name packages s and p exclude each other. */
  sameNameClash(s: number, p: number): boolean {
    return !this.implicitObsoleteUsesColors || colorsMatch(this.policy, this.archOf(s), this.archOf(p))
  }
}
