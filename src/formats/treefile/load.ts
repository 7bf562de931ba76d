/**
 * Loading a treefile: parse (YAML or JSON), validate, follow `include` / `arch-include` /
 * `conditional-include`, merge, and expand into one `Treefile` with rpm-ostree's defaults.
 * Pure: the file reader is injected (`readFile(path) → text`, throwing on a missing file).
 *
 * Merge rules (rpm-ostree `treefile_merge`): lists concatenate with the included files' entries
 * first (in include order), maps merge key by key, and any other field set in the including file
 * overrides the included ones (among includes, a later one overrides an earlier one).
 * Paths in `include`, `add-files`, `postprocess-script` and `check-*: {type: file}` are relative to
 * the file that names them; the expanded treefile carries them resolved.
 */
import { posix as path } from "node:path"
import { LineCounter, parseDocument } from "yaml"
import { evaluate, type VarValue } from "./conditions.js"
import { treefileError } from "./error.js"
import { ARCH_PACKAGES, FIELDS, validateFile, type Located, type Value } from "./fields.js"
import { splitPackages, substitute } from "./packages.js"
import { DEFAULTS, type Treefile } from "./types.js"

export interface LoadOptions {
  /** the treefile's path (as the user gave it; errors name files by these joined paths) */
  readonly path: string
  readonly basearch: string
  readonly readFile: (path: string) => string
  /** extra variables (override the treefile's `variables`) */
  readonly variables?: Readonly<Record<string, VarValue>>
}

type Fields = Map<string, Located<Value>>

const CONCAT = new Set(["strings", "tuples", "repo-packages"])
const KEYED = new Set(["map", "vars"])

const kindOf = (name: string) => FIELDS[name] ?? (ARCH_PACKAGES.test(name) ? FIELDS.packages! : undefined)

/** Merges `inc` (an included file, already merged with its own includes) under `into`. */
const mergeUnder = (into: Fields, inc: Fields): Fields => {
  const out: Fields = new Map(inc)
  for (const [name, own] of into) {
    const base = inc.get(name)
    const kind = kindOf(name)!
    if (base === undefined) out.set(name, own)
    else if (CONCAT.has(kind.t)) out.set(name, { value: [...(base.value as Value[]), ...(own.value as Value[])], line: own.line })
    else if (KEYED.has(kind.t)) out.set(name, { value: { ...(base.value as object), ...(own.value as object) }, line: own.line })
    else out.set(name, own)
  }
  return out
}

const parse = (file: string, text: string): Fields => {
  const lines = new LineCounter()
  const json = file.endsWith(".json")
  if (!json && !/\.ya?ml$/.test(file)) throw treefileError(file, 1, "(file)", "unknown treefile format (expected .yaml, .yml or .json)", "Unsupported")
  const doc = parseDocument(text, { lineCounter: lines, schema: json ? "json" : "core", uniqueKeys: true, prettyErrors: false })
  const err = doc.errors[0]
  if (err) {
    const line = lines.linePos(err.pos[0]).line
    throw treefileError(file, line, "(syntax)", `${json ? "JSON" : "YAML"} error: ${err.message.split("\n")[0]}`)
  }
  return validateFile(file, lines, doc.contents)
}

/** Paths inside one file's fields, made relative to the directory holding the file. */
const resolvePaths = (file: string, f: Fields): void => {
  const dir = path.dirname(file)
  const rel = (p: string) => (path.isAbsolute(p) ? p : path.join(dir, p))
  const af = f.get("add-files")
  if (af) f.set("add-files", { ...af, value: (af.value as string[][]).map(([src, dest]) => [rel(src!), dest!]) })
  const ps = f.get("postprocess-script")
  if (ps) f.set("postprocess-script", { ...ps, value: rel(ps.value as string) })
  for (const k of ["check-passwd", "check-groups"]) {
    const c = f.get(k)
    const v = c?.value as { type: string; filename?: string } | undefined
    if (c && v?.type === "file" && v.filename) f.set(k, { ...c, value: { ...v, filename: rel(v.filename) } })
  }
}

const varsOf = (f: Fields, o: LoadOptions): Map<string, VarValue> => {
  const vars = new Map<string, VarValue>()
  for (const [k, v] of Object.entries((f.get("variables")?.value ?? {}) as Record<string, VarValue>)) vars.set(k, v)
  for (const [k, v] of Object.entries(o.variables ?? {})) vars.set(k, v)
  const rv = f.get("releasever")?.value
  if (typeof rv === "string") vars.set("releasever", rv)
  vars.set("basearch", o.basearch)
  return vars
}

const INCLUDES = ["include", "arch-include", "conditional-include"]

const loadFile = (file: string, o: LoadOptions, stack: readonly string[], from?: { file: string; line: number; field: string }): Fields => {
  const norm = path.normalize(file)
  if (stack.includes(norm)) {
    throw treefileError(from!.file, from!.line, from!.field, `include cycle: ${[...stack, norm].join(" → ")}`)
  }
  let text: string
  try {
    text = o.readFile(file)
  } catch (e) {
    const code = (e as { code?: string }).code
    const why = code === "ENOENT" ? "no such file" : ((e as Error).message ?? String(e))
    if (from) throw treefileError(from.file, from.line, from.field, `cannot read ${file}: ${why}`, code === "ENOENT" ? "NotFound" : "Io")
    throw treefileError(file, 0, "(file)", `cannot read: ${why}`, code === "ENOENT" ? "NotFound" : "Io")
  }
  const own = parse(file, text)
  resolvePaths(file, own)
  const inner = [...stack, norm]
  const dir = path.dirname(file)
  const includeAll = (acc: Fields, names: readonly string[], line: number, field: string): Fields => {
    let merged = acc
    for (const n of names) merged = mergeUnder(loadFile(path.join(dir, n), o, inner, { file, line, field }), merged)
    return merged
  }
  // `merged` holds what the includes contribute, in order (a later include over an earlier one).
  let merged: Fields = new Map()
  const inc = own.get("include")
  if (inc) merged = includeAll(merged, inc.value as string[], inc.line, "include")
  const arch = own.get("arch-include")
  const forArch = arch && (arch.value as Record<string, string[]>)[o.basearch]
  if (arch && forArch) merged = includeAll(merged, forArch, arch.line, "arch-include")
  const cond = own.get("conditional-include")
  if (cond) {
    for (const c of cond.value as Array<{ if: string[]; include: string[]; line: number }>) {
      // Conditions see the variables known so far: the includes' merged with this file's own.
      const vars = varsOf(mergeUnder(own, merged), o)
      let ok: boolean
      try {
        ok = c.if.every((x) => evaluate(x, vars))
      } catch (e) {
        throw treefileError(file, c.line, "conditional-include", (e as Error).message)
      }
      if (ok) merged = includeAll(merged, c.include, c.line, "conditional-include")
    }
  }
  const result = mergeUnder(own, merged)
  for (const k of INCLUDES) result.delete(k)
  return result
}

const fail = (o: LoadOptions, f: Fields, field: string, detail: string): never => {
  throw treefileError(o.path, f.get(field)?.line ?? 1, field, detail)
}

/** Loads, merges and expands the treefile at `o.path`. */
export const loadTreefile = (o: LoadOptions): Treefile => {
  const f = loadFile(o.path, o, [])
  const vars = varsOf(f, o)
  const get = <T>(k: string): T | undefined => f.get(k)?.value as T | undefined
  const basearch = get<string>("basearch")
  if (basearch !== undefined && basearch !== o.basearch) fail(o, f, "basearch", `treefile is for ${basearch}, composing for ${o.basearch}`)
  const ref = get<string>("ref")
  if (ref === undefined) throw treefileError(o.path, 1, "ref", "missing (required)")
  const sub = (field: string, s: string): string => {
    try {
      return substitute(s, vars)
    } catch (e) {
      return fail(o, f, field, (e as Error).message)
    }
  }
  const packages: string[] = []
  for (const name of ["packages", `packages-${o.basearch}`]) {
    for (const entry of get<string[]>(name) ?? []) {
      try {
        packages.push(...splitPackages(entry))
      } catch (e) {
        fail(o, f, name, (e as Error).message)
      }
    }
  }
  const out: Record<string, unknown> = { ...DEFAULTS }
  for (const [k, v] of f) {
    if (ARCH_PACKAGES.test(k)) continue
    out[k] = v.value
  }
  out.ref = sub("ref", ref)
  out.packages = packages
  out.basearch = o.basearch
  // the variables the treefile (and the caller) set; basearch and releasever have their own fields
  const own = { ...((get<Record<string, VarValue>>("variables")) ?? {}), ...(o.variables ?? {}) }
  if (Object.keys(own).length) out.variables = own
  // the fields rpm-ostree documents as supporting `${var}`
  for (const k of ["metadata", "add-commit-metadata"]) {
    const md = get<Record<string, Value>>(k)
    if (md) out[k] = Object.fromEntries(Object.entries(md).map(([n, v]) => [n, typeof v === "string" ? sub(k, v) : v]))
  }
  for (const k of ["automatic-version-prefix", "mutate-os-release"]) {
    const v = get<string>(k)
    if (v !== undefined) out[k] = sub(k, v)
  }
  // edition 2024 and container trees get a real /tmp directory unless the treefile says otherwise
  if (get<boolean>("tmp-is-dir") === undefined && (get<string>("edition") === "2024" || get<boolean>("container"))) out["tmp-is-dir"] = true
  if (get<boolean>("container")) out.selinux = false
  const suffix = get<string>("automatic-version-suffix")
  if (suffix !== undefined && [...suffix].length !== 1) fail(o, f, "automatic-version-suffix", `expected a single character, got ${JSON.stringify(suffix)}`)
  // rpm-ostree's "new" is a legacy alias of "modules"
  if (out["boot-location"] === "new") out["boot-location"] = "modules"
  return out as unknown as Treefile
}

/** The canonical JSON text of an expanded treefile (sorted keys), for --print-only and the input hash. */
export const canonicalJson = (t: unknown, indent = 0): string => JSON.stringify(sortKeys(t), null, indent || undefined)

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]))
      : v
