/**
 * Users and groups of a compose (FORMATS.md 7.2, rpm-ostree passwd.rs): everything but root moves
 * from /etc/{passwd,group} to /usr/lib/{passwd,group} (read through nss-altfiles); /etc keeps
 * root, and /etc/group also the groups named in `etc-group-members` (so an admin can add members
 * with the usual tools). `check-passwd` / `check-groups` compare the result with an expected set
 * first.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { CheckSpec } from "../../formats/treefile.js"
import { composeError } from "./error.js"

export interface Entry {
  readonly name: string
  readonly id: number
  /** passwd: the primary gid */
  readonly gid?: number
  readonly line: string
}

export const parseEntries = (text: string): Entry[] =>
  text
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((line) => {
      const f = line.split(":")
      return { name: f[0]!, id: Number(f[2]), ...(f.length >= 7 ? { gid: Number(f[3]) } : {}), line }
    })

const readMaybe = (p: string): string | undefined => {
  try {
    return readFileSync(p, "utf8")
  } catch {
    return undefined
  }
}

const writeAtomic = (p: string, text: string): void => {
  mkdirSync(join(p, ".."), { recursive: true })
  writeFileSync(`${p}.strata-tmp`, text, { mode: 0o644 })
  renameSync(`${p}.strata-tmp`, p)
}

/**
 * Checks `entries` (the tree's, after packages and scripts) against `spec` — when the treefile
 * has none, against the previous commit, as rpm-ostree does (a uid that changes between two
 * composes breaks file ownership on every deployed machine). `previous` is the previous commit's
 * file content, when there is one. Users/groups listed in `ignoreRemoved` may go.
 */
export const checkEntries = (what: "passwd" | "group", entries: ReadonlyArray<Entry>, given: CheckSpec | undefined, previous: string | undefined, readFile: (p: string) => string, ignoreRemoved: ReadonlyArray<string> = []): void => {
  const spec: CheckSpec = given ?? { type: "previous" }
  if (spec.type === "none") return
  const op = `compose check-${what === "passwd" ? "passwd" : "groups"}`
  let expected: Map<string, { id: number; gid?: number }>
  if (spec.type === "previous") {
    if (previous === undefined) return // first compose: nothing to compare with
    expected = new Map(parseEntries(previous).map((e) => [e.name, { id: e.id, ...(e.gid !== undefined ? { gid: e.gid } : {}) }]))
  } else if (spec.type === "file") {
    let text: string
    try {
      text = readFile(spec.filename)
    } catch (e) {
      throw composeError(op, "NotFound", `cannot read ${spec.filename}: ${(e as Error).message}`)
    }
    expected = new Map(parseEntries(text).map((e) => [e.name, { id: e.id, ...(e.gid !== undefined ? { gid: e.gid } : {}) }]))
  } else {
    const data = ((spec as { entries?: unknown }).entries ?? {}) as Record<string, number | number[]>
    expected = new Map(Object.entries(data).map(([n, v]) => [n, Array.isArray(v) ? { id: v[0]!, ...(v[1] !== undefined ? { gid: v[1] } : {}) } : { id: v }]))
  }
  const have = new Map(entries.map((e) => [e.name, e]))
  for (const [name, want] of expected) {
    const got = have.get(name)
    if (!got) {
      if (!ignoreRemoved.includes(name) && !ignoreRemoved.includes("*")) throw composeError(op, "Invalid", `${what === "passwd" ? "user" : "group"} ${name} was removed (expected id ${want.id})`)
      continue
    }
    if (got.id !== want.id) throw composeError(op, "Invalid", `${name}: id ${got.id}, expected ${want.id}`)
    if (want.gid !== undefined && got.gid !== undefined && got.gid !== want.gid) throw composeError(op, "Invalid", `${name}: gid ${got.gid}, expected ${want.gid}`)
  }
  if (spec.type !== "previous") {
    const extra = entries.filter((e) => !expected.has(e.name)).map((e) => e.name)
    if (extra.length) throw composeError(op, "Invalid", `not in the expected ${what} set: ${extra.join(", ")}`)
  }
}

/** Moves non-root entries to usr/lib; returns the entries as they were (for checks and the hash). */
export const splitPasswdGroup = (root: string, etcGroupMembers: ReadonlyArray<string>): { passwd: Entry[]; group: Entry[] } => {
  const out = { passwd: [] as Entry[], group: [] as Entry[] }
  for (const file of ["passwd", "group"] as const) {
    const etcPath = join(root, "etc", file)
    const text = readMaybe(etcPath)
    if (text === undefined) continue
    const entries = parseEntries(text)
    out[file] = entries
    const keepInEtc = (e: Entry): boolean => e.name === "root" || (file === "group" && etcGroupMembers.includes(e.name))
    const usrLib = join(root, "usr/lib", file)
    const already = readMaybe(usrLib)
    const moved = entries.filter((e) => !keepInEtc(e)).map((e) => e.line)
    const known = new Set(parseEntries(already ?? "").map((e) => e.name))
    const merged = [...(already ? already.split("\n").filter((l) => l.trim()) : []), ...moved.filter((l) => !known.has(l.split(":")[0]!))]
    writeAtomic(usrLib, merged.length ? `${merged.join("\n")}\n` : "")
    const kept = entries.filter(keepInEtc).map((e) => e.line)
    writeAtomic(etcPath, kept.length ? `${kept.join("\n")}\n` : "")
  }
  return out
}

export const hasEtcPasswd = (root: string): boolean => existsSync(join(root, "etc/passwd"))
