/**
 * The treefile's fields and their types (rpm-ostree `rust/src/treefile.rs`, docs/treefile.md), and
 * the validation of one file's top-level YAML map against them. Every error names the file, the line
 * of the offending node and the field: `fixture.yaml:12: packages: expected a list of strings, got a map`.
 */
import { isMap, isScalar, isSeq, type LineCounter, type Node, type Pair, type YAMLMap } from "yaml"
import { treefileError } from "./error.js"

export type Kind =
  | { readonly t: "string" }
  | { readonly t: "bool" }
  | { readonly t: "strings" }
  | { readonly t: "string-or-strings" }
  /** a string, a number is accepted and kept as its decimal text (YAML `releasever: 40`) */
  | { readonly t: "stringish" }
  | { readonly t: "enum"; readonly values: readonly string[] }
  /** any JSON value per key (metadata, add-commit-metadata) */
  | { readonly t: "map" }
  /** variables: string → string | number | boolean */
  | { readonly t: "vars" }
  /** list of lists of strings, each at least `min` (exactly `exact`) long */
  | { readonly t: "tuples"; readonly min: number; readonly exact?: number }
  | { readonly t: "check" }
  | { readonly t: "repo-packages" }
  | { readonly t: "arch-include" }
  | { readonly t: "conditional-include" }

const S = { t: "string" } as const
const B = { t: "bool" } as const
const L = { t: "strings" } as const
const en = (...values: string[]): Kind => ({ t: "enum", values })

/** rpm-ostree's fields (kebab-case), the ones this implementation knows. */
export const FIELDS: Readonly<Record<string, Kind>> = {
  // identity / metadata
  ref: S,
  edition: en("2014", "2024"),
  basearch: S,
  metadata: { t: "map" },
  "add-commit-metadata": { t: "map" },
  "automatic-version-prefix": S,
  "automatic-version-suffix": S,
  "mutate-os-release": S,
  // packages
  repos: L,
  "lockfile-repos": L,
  packages: L,
  "repo-packages": { t: "repo-packages" },
  "exclude-packages": L,
  recommends: B,
  documentation: B,
  "install-langs": L,
  releasever: { t: "stringish" },
  variables: { t: "vars" },
  // includes
  include: { t: "string-or-strings" },
  "arch-include": { t: "arch-include" },
  "conditional-include": { t: "conditional-include" },
  // post-processing
  postprocess: L,
  "postprocess-script": S,
  "add-files": { t: "tuples", min: 2, exact: 2 },
  "remove-files": L,
  "remove-from-packages": { t: "tuples", min: 2 },
  units: L,
  "default-target": S,
  // users / groups
  "etc-group-members": L,
  "preserve-passwd": B,
  "check-passwd": { t: "check" },
  "check-groups": { t: "check" },
  "ignore-removed-users": L,
  "ignore-removed-groups": L,
  // boot / filesystem
  "boot-location": en("new", "modules", "kernel-install"),
  "initramfs-args": L,
  "no-initramfs": B,
  "machineid-compat": B,
  "tmp-is-dir": B,
  "opt-usrlocal": en("var", "root"),
  selinux: B,
  container: B,
  "container-cmd": L,
  "readonly-executables": B,
  cliwrap: B,
  // other
  rpmdb: en("target", "host"),
  "gpg-key": S,
  "repo-metadata": en("inline", "detached", "disabled"),
  "advisories-metadata": en("inline", "detached", "disabled"),
  "ostree-layers": L,
  "ostree-override-layers": L,
}

/** serde aliases rpm-ostree still accepts. */
export const ALIASES: Readonly<Record<string, string>> = {
  gpg_key: "gpg-key",
  boot_location: "boot-location",
  default_target: "default-target",
}

/** `packages-$basearch` */
export const ARCH_PACKAGES = /^packages-([a-z0-9_]+)$/

export type Value = string | number | boolean | null | readonly Value[] | { readonly [k: string]: Value }

export interface Located<T> {
  readonly value: T
  readonly line: number
}

/** One file's fields after validation, each with the line of its key. */
export type FileFields = ReadonlyMap<string, Located<Value>>

const describe = (n: unknown): string => {
  if (isMap(n)) return "a map"
  if (isSeq(n)) return "a list"
  if (isScalar(n)) {
    const v = n.value
    if (v === null) return "null"
    if (typeof v === "string") return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`
    if (typeof v === "boolean") return `a boolean (${v})`
    if (typeof v === "number" || typeof v === "bigint") return `a number (${v})`
    return typeof v
  }
  return "nothing"
}

interface Ctx {
  readonly file: string
  readonly lines: LineCounter
  readonly field: string
}

const lineOf = (lines: LineCounter, n: { range?: [number, number, number] | null } | null | undefined, fallback = 1): number =>
  n?.range ? lines.linePos(n.range[0]).line : fallback

const fail = (c: Ctx, n: Node | null | undefined, what: string): never => {
  throw treefileError(c.file, lineOf(c.lines, n), c.field, what)
}

const expected = (c: Ctx, n: Node | null | undefined, what: string): never => fail(c, n, `expected ${what}, got ${describe(n)}`)

const str = (c: Ctx, n: unknown, what = "a string"): string => {
  if (isScalar(n) && typeof n.value === "string") return n.value
  return expected(c, n as Node, what)
}

const strings = (c: Ctx, n: unknown): string[] => {
  if (!isSeq(n)) return expected(c, n as Node, "a list of strings")
  return n.items.map((i) => (isScalar(i) && typeof i.value === "string" ? i.value : expected(c, i as Node, "a list of strings")))
}

const stringOrStrings = (c: Ctx, n: unknown): string[] =>
  isScalar(n) && typeof n.value === "string" ? [n.value] : isSeq(n) ? strings(c, n) : expected(c, n as Node, "a string or a list of strings")

const plain = (c: Ctx, n: unknown): Value => {
  if (isScalar(n)) {
    const v = n.value
    if (v === null || typeof v === "string" || typeof v === "boolean") return v
    if (typeof v === "number") return v
    if (typeof v === "bigint") return Number(v)
    return expected(c, n as Node, "a JSON value")
  }
  if (isSeq(n)) return n.items.map((i) => plain(c, i))
  if (isMap(n)) {
    const o: Record<string, Value> = {}
    for (const p of n.items) o[key(c, p)] = plain(c, p.value)
    return o
  }
  return expected(c, n as Node, "a value")
}

const key = (c: Ctx, p: Pair): string => {
  const k = p.key
  if (isScalar(k) && (typeof k.value === "string" || typeof k.value === "number")) return String(k.value)
  return fail(c, k as Node, `expected a string key, got ${describe(k)}`)
}

const map = (c: Ctx, n: unknown, what: string): YAMLMap => (isMap(n) ? n : expected(c, n as Node, what))

const check = (c: Ctx, n: unknown): Value => {
  const m = map(c, n, "a map with a `type`")
  const out: Record<string, Value> = {}
  for (const p of m.items) {
    const k = key(c, p)
    if (k === "type") out.type = str(c, p.value)
    else if (k === "filename") out.filename = str(c, p.value)
    else if (k === "entries") out.entries = plain(c, p.value)
    else fail(c, p.key as Node, `unknown key \`${k}\` (expected type, filename or entries)`)
  }
  const t = out.type
  if (t === undefined) fail(c, m, "missing `type`")
  if (!["none", "previous", "file", "data"].includes(t as string)) fail(c, m, `type must be one of none, previous, file, data, got ${JSON.stringify(t)}`)
  if (t === "file" && out.filename === undefined) fail(c, m, "type file needs a `filename`")
  return out
}

const validate = (c: Ctx, kind: Kind, n: unknown): Value => {
  switch (kind.t) {
    case "string":
      return str(c, n)
    case "bool":
      return isScalar(n) && typeof n.value === "boolean" ? n.value : expected(c, n as Node, "a boolean")
    case "strings":
      return strings(c, n)
    case "string-or-strings":
      return stringOrStrings(c, n)
    case "stringish":
      return isScalar(n) && (typeof n.value === "string" || typeof n.value === "number") ? String(n.value) : expected(c, n as Node, "a string")
    case "enum": {
      // `edition: 2024` is a number in YAML; rpm-ostree's serde accepts the string form only, but
      // a number with the same digits is unambiguous.
      const v = isScalar(n) && (typeof n.value === "string" || typeof n.value === "number") ? String(n.value) : expected(c, n as Node, `one of ${kind.values.join(", ")}`)
      if (!kind.values.includes(v)) fail(c, n as Node, `expected one of ${kind.values.join(", ")}, got ${JSON.stringify(v)}`)
      return v
    }
    case "map": {
      const v = plain(c, map(c, n, "a map"))
      return v
    }
    case "vars": {
      const m = map(c, n, "a map of variables")
      const o: Record<string, Value> = {}
      for (const p of m.items) {
        const k = key(c, p)
        const v = p.value
        if (!isScalar(v) || !["string", "number", "boolean"].includes(typeof v.value)) expected(c, v as Node, `a string, number or boolean for variable ${k}`)
        o[k] = (v as { value: string | number | boolean }).value
      }
      return o
    }
    case "tuples": {
      if (!isSeq(n)) return expected(c, n as Node, "a list of lists of strings")
      return n.items.map((i) => {
        const t = isSeq(i) ? strings(c, i) : expected(c, i as Node, "a list of strings")
        if (kind.exact !== undefined && t.length !== kind.exact) fail(c, i as Node, `expected a list of ${kind.exact} strings, got ${t.length}`)
        if (t.length < kind.min) fail(c, i as Node, `expected a list of at least ${kind.min} strings, got ${t.length}`)
        return t
      })
    }
    case "check":
      return check(c, n)
    case "repo-packages": {
      if (!isSeq(n)) return expected(c, n as Node, "a list of {repo, packages}")
      return n.items.map((i) => {
        const m = map(c, i, "a map {repo, packages}")
        const o: Record<string, Value> = {}
        for (const p of m.items) {
          const k = key(c, p)
          if (k === "repo") o.repo = str(c, p.value)
          else if (k === "packages") o.packages = strings(c, p.value)
          else fail(c, p.key as Node, `unknown key \`${k}\` (expected repo or packages)`)
        }
        if (o.repo === undefined || o.packages === undefined) fail(c, m, "expected both `repo` and `packages`")
        return o
      })
    }
    case "arch-include": {
      const m = map(c, n, "a map of basearch to include")
      const o: Record<string, Value> = {}
      for (const p of m.items) o[key(c, p)] = stringOrStrings(c, p.value)
      return o
    }
    case "conditional-include": {
      if (!isSeq(n)) return expected(c, n as Node, "a list of {if, include}")
      return n.items.map((i) => {
        const m = map(c, i, "a map {if, include}")
        const o: Record<string, Value> = { line: lineOf(c.lines, m) }
        for (const p of m.items) {
          const k = key(c, p)
          if (k === "if") o.if = stringOrStrings(c, p.value)
          else if (k === "include") o.include = stringOrStrings(c, p.value)
          else fail(c, p.key as Node, `unknown key \`${k}\` (expected if or include)`)
        }
        if (o.if === undefined || o.include === undefined) fail(c, m, "expected both `if` and `include`")
        return o
      })
    }
  }
}

/** Validates a document's top level into fields; `packages-$arch` fields keep their own names. */
export const validateFile = (file: string, lines: LineCounter, contents: unknown): Map<string, Located<Value>> => {
  const top = { file, lines, field: "(top level)" }
  if (contents === null || contents === undefined) throw treefileError(file, 1, top.field, "empty treefile")
  const m = map(top, contents, "a map of fields")
  const out = new Map<string, Located<Value>>()
  for (const p of m.items) {
    const raw = key(top, p)
    const name = ALIASES[raw] ?? raw
    const c = { file, lines, field: raw }
    const kind = FIELDS[name] ?? (ARCH_PACKAGES.test(name) ? L : undefined)
    if (kind === undefined) fail(c, p.key as Node, "unknown field")
    if (out.has(name)) fail(c, p.key as Node, `given twice (also as ${ALIASES[raw] ? name : Object.keys(ALIASES).find((a) => ALIASES[a] === name)})`)
    out.set(name, { value: validate(c, kind!, p.value), line: lineOf(lines, p.key as Node) })
  }
  return out
}
