/**
 * GLib key file codec, as ostree uses it: repo `config`, deployment `.origin` files and
 * `remotes.d/*.conf`. Pure: text in, text out, no I/O.
 *
 * A `Keyfile` keeps every line it parsed — comments and blank lines included — so
 * `serializeKeyfile(parseKeyfile(text))` returns `text` for any file GLib itself would write.
 * Values are stored escaped, exactly as they appear in the file; the getters unescape them and
 * the setters escape them the way `g_key_file_set_string` / `_set_string_list` do. The setters
 * mutate the keyfile they are given.
 */
import * as Data from "effect/Data"

/** Malformed key file text, an invalid group or key name, or a value that cannot be interpreted. */
export class KeyfileError extends Data.TaggedError("KeyfileError")<{ readonly reason: string; readonly line?: number }> {
  override get message(): string {
    return this.line === undefined ? `keyfile: ${this.reason}` : `keyfile: line ${this.line}: ${this.reason}`
  }
}

/** A `key=value` line (value still escaped) or a comment / blank line kept verbatim. */
export type KeyfileLine =
  | { readonly kind: "key"; readonly key: string; value: string }
  | { readonly kind: "comment"; readonly text: string }

export interface KeyfileGroup {
  readonly name: string
  readonly lines: KeyfileLine[]
}

export interface Keyfile {
  /** Comments and blank lines before the first group. */
  readonly head: KeyfileLine[]
  readonly groups: KeyfileGroup[]
}

/** A key file with no groups. */
export const emptyKeyfile = (): Keyfile => ({ head: [], groups: [] })

/** Parses key file text. Throws `KeyfileError` naming the 1-based line of the first malformed line. */
export const parseKeyfile = (text: string): Keyfile => {
  const kf = emptyKeyfile()
  const lines = text.split("\n")
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop()
  let current: KeyfileGroup | undefined
  lines.forEach((raw, i) => {
    const lineNo = i + 1
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw
    const start = line.replace(/^[ \t\n\v\f\r]+/, "")
    if (start === "" || start.startsWith("#")) {
      ;(current?.lines ?? kf.head).push({ kind: "comment", text: line })
      return
    }
    const group = /^\[([^\]]*)\][ \t]*$/.exec(start)
    if (group) {
      const name = group[1]!
      const bad = groupNameProblem(name)
      if (bad) throw new KeyfileError({ reason: `invalid group name "${name}": ${bad}`, line: lineNo })
      current = findGroup(kf, name)
      if (!current) {
        current = { name, lines: [] }
        kf.groups.push(current)
      }
      return
    }
    const eq = start.indexOf("=")
    if (eq < 0) throw new KeyfileError({ reason: `"${line}" is not a key-value pair, group, or comment`, line: lineNo })
    if (!current) throw new KeyfileError({ reason: "key file does not start with a group", line: lineNo })
    const key = start.slice(0, eq).replace(/[ \t]+$/, "")
    const bad = keyNameProblem(key)
    if (bad) throw new KeyfileError({ reason: `invalid key name "${key}": ${bad}`, line: lineNo })
    const value = start.slice(eq + 1).replace(/^[ \t\n\v\f\r]+/, "")
    const existing = findKey(current, key)
    if (existing) existing.value = value // GLib: a repeated key keeps the last value
    else current.lines.push({ kind: "key", key, value })
  })
  return kf
}

/** Serialises like `g_key_file_to_data`: groups are separated by at least one blank line. */
export const serializeKeyfile = (kf: Keyfile): string => {
  let out = ""
  for (const l of kf.head) out += renderLine(l)
  for (const g of kf.groups) {
    if (out.length >= 2 && out[out.length - 2] !== "\n") out += "\n"
    out += `[${g.name}]\n`
    for (const l of g.lines) out += renderLine(l)
  }
  return out
}

/** Group names in file order. */
export const groups = (kf: Keyfile): string[] => kf.groups.map((g) => g.name)

/** Key names of `group` in file order; empty when the group does not exist. */
export const keys = (kf: Keyfile, group: string): string[] =>
  (findGroup(kf, group)?.lines ?? []).flatMap((l) => (l.kind === "key" ? [l.key] : []))

/** The unescaped value, or `undefined` when the group or key is missing. Throws on a bad escape. */
export const getString = (kf: Keyfile, group: string, key: string): string | undefined => {
  const raw = getRaw(kf, group, key)
  return raw === undefined ? undefined : unescape(raw, false, key)[0]
}

/** `true`/`1` or `false`/`0` (trailing whitespace ignored), or `undefined` when missing. */
export const getBoolean = (kf: Keyfile, group: string, key: string): boolean | undefined => {
  const raw = getRaw(kf, group, key)
  if (raw === undefined) return undefined
  const v = raw.replace(/[ \t\n\v\f\r]+$/, "")
  if (v === "true" || v === "1") return true
  if (v === "false" || v === "0") return false
  throw new KeyfileError({ reason: `value "${raw}" of key "${key}" in group "${group}" is not a boolean` })
}

/** A `;`-separated list (`\;` escapes a separator; a trailing `;` is optional), or `undefined`. */
export const getList = (kf: Keyfile, group: string, key: string): string[] | undefined => {
  const raw = getRaw(kf, group, key)
  return raw === undefined ? undefined : unescape(raw, true, key)
}

/** Sets a value (escaped like `g_key_file_set_string`), creating the group and key if needed. */
export const setString = (kf: Keyfile, group: string, key: string, value: string): void =>
  setRaw(kf, group, key, escape(value, false))

/** Writes `true` or `false`. */
export const setBoolean = (kf: Keyfile, group: string, key: string, value: boolean): void =>
  setRaw(kf, group, key, value ? "true" : "false")

/** Writes `a;b;c;` — every item followed by `;`, separators inside items escaped as `\;`. */
export const setList = (kf: Keyfile, group: string, key: string, values: readonly string[]): void =>
  setRaw(kf, group, key, values.map((v) => `${escape(v, true)};`).join(""))

/** Removes a key; returns whether it existed. */
export const removeKey = (kf: Keyfile, group: string, key: string): boolean => {
  const g = findGroup(kf, group)
  const i = g ? g.lines.findIndex((l) => l.kind === "key" && l.key === key) : -1
  if (i < 0) return false
  g!.lines.splice(i, 1)
  return true
}

/** Removes a group with all its keys and comments; returns whether it existed. */
export const removeGroup = (kf: Keyfile, group: string): boolean => {
  const i = kf.groups.findIndex((g) => g.name === group)
  if (i < 0) return false
  kf.groups.splice(i, 1)
  return true
}

// ---------------------------------------------------------------------------------------------

const renderLine = (l: KeyfileLine): string => (l.kind === "key" ? `${l.key}=${l.value}\n` : `${l.text}\n`)

const findGroup = (kf: Keyfile, name: string): KeyfileGroup | undefined => kf.groups.find((g) => g.name === name)

const findKey = (g: KeyfileGroup, key: string) =>
  g.lines.find((l): l is Extract<KeyfileLine, { kind: "key" }> => l.kind === "key" && l.key === key)

const getRaw = (kf: Keyfile, group: string, key: string): string | undefined => {
  const g = findGroup(kf, group)
  return g ? findKey(g, key)?.value : undefined
}

const isBlank = (l: KeyfileLine) => l.kind === "comment" && l.text.trim() === ""

const setRaw = (kf: Keyfile, group: string, key: string, value: string): void => {
  const badGroup = groupNameProblem(group)
  if (badGroup) throw new KeyfileError({ reason: `invalid group name "${group}": ${badGroup}` })
  const badKey = keyNameProblem(key)
  if (badKey) throw new KeyfileError({ reason: `invalid key name "${key}": ${badKey}` })
  let g = findGroup(kf, group)
  if (!g) {
    g = { name: group, lines: [] }
    kf.groups.push(g)
  }
  const existing = findKey(g, key)
  if (existing) {
    existing.value = value
    return
  }
  // like g_key_file_add_key: a new key goes before the group's trailing blank lines
  let at = g.lines.length
  while (at > 0 && isBlank(g.lines[at - 1]!)) at--
  g.lines.splice(at, 0, { kind: "key", key, value })
}

const groupNameProblem = (name: string): string | undefined => {
  if (name === "") return "empty"
  if (/[[\]\x00-\x1f\x7f]/.test(name)) return "contains '[', ']' or a control character"
  return undefined
}

const keyNameProblem = (key: string): string | undefined => {
  if (key === "") return "empty"
  if (/[=\x00-\x1f\x7f]/.test(key)) return "contains '=' or a control character"
  if (/^[ \t#[]|[ \t]$/.test(key)) return "starts with '#', '[' or whitespace, or ends with whitespace"
  return undefined
}

/** GLib escaping: leading spaces/tabs as `\s`/`\t`, always `\n \r \\`, and `\;` in list items. */
const escape = (value: string, list: boolean): string => {
  let out = ""
  let leading = true
  for (const c of value) {
    switch (c) {
      case " ":
        out += leading ? "\\s" : " "
        break
      case "\t":
        out += leading ? "\\t" : "\t"
        break
      case "\n":
        out += "\\n"
        break
      case "\r":
        out += "\\r"
        break
      case "\\":
        out += "\\\\"
        leading = false
        break
      default:
        out += list && c === ";" ? "\\;" : c
        leading = false
    }
  }
  return out
}

/** Unescapes a raw value; in list mode splits on unescaped `;` and drops one trailing empty item. */
const unescape = (raw: string, list: boolean, key: string): string[] => {
  const items: string[] = []
  let cur = ""
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c === "\\") {
      const n = raw[i + 1]
      i++
      if (n === "s") cur += " "
      else if (n === "n") cur += "\n"
      else if (n === "t") cur += "\t"
      else if (n === "r") cur += "\r"
      else if (n === "\\") cur += "\\"
      else if (n === ";" && list) cur += ";"
      else if (n === undefined) throw new KeyfileError({ reason: `value of key "${key}" ends with an escape character` })
      else throw new KeyfileError({ reason: `value of key "${key}" contains invalid escape sequence "\\${n}"` })
    } else if (c === ";" && list) {
      items.push(cur)
      cur = ""
    } else cur += c
  }
  if (!list || cur !== "") items.push(cur)
  return items
}
