/**
 * dnf `.repo` files: INI sections, one repository each (several per file), `key=value` with
 * optional spaces, continuation lines indented, `#`/`;` comments, and `$basearch`/`$releasever`
 * (and any other given variable, `${var}` too) substituted in values, as libdnf does.
 */
import { corrupt } from "./error.js"

export interface RepoConfig {
  readonly id: string
  readonly name: string
  readonly enabled: boolean
  readonly baseurl: ReadonlyArray<string>
  readonly metalink: string | undefined
  readonly mirrorlist: string | undefined
  readonly gpgcheck: boolean
  readonly repoGpgcheck: boolean
  readonly gpgkey: ReadonlyArray<string>
  /** Seconds; Infinity for "never" or -1. dnf's default is 48 hours. */
  readonly metadataExpire: number
  readonly excludepkgs: ReadonlyArray<string>
  readonly includepkgs: ReadonlyArray<string>
  readonly priority: number
  readonly skipIfUnavailable: boolean
  /** The file the section came from. */
  readonly file: string
}

const bool = (v: string | undefined, dflt: boolean): boolean => {
  if (v === undefined) return dflt
  const s = v.trim().toLowerCase()
  if (["1", "yes", "true", "on"].includes(s)) return true
  if (["0", "no", "false", "off"].includes(s)) return false
  throw corrupt("repo file", `"${v}" is not a boolean`)
}

/** dnf's duration syntax: a number with an optional s/m/h/d suffix, or "never" / -1. */
export const parseDuration = (v: string): number => {
  const s = v.trim().toLowerCase()
  if (s === "never" || s === "-1") return Infinity
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(s)
  if (!m) throw corrupt("repo file", `"${v}" is not a duration`)
  return Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"]
}

const list = (v: string | undefined): string[] => (v ?? "").split(/[\s,]+/).filter(Boolean)

export const substitute = (v: string, vars: Readonly<Record<string, string>>): string =>
  v.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? m)

/** Parses one .repo file's text into its repositories (the [main] section is not a repo). */
export const parseRepoFile = ({ text, file = "", vars = {} }: { text: string; file?: string; vars?: Readonly<Record<string, string>> }): RepoConfig[] => {
  const sections: Array<{ id: string; kv: Map<string, string>; line: number }> = []
  let cur: (typeof sections)[number] | undefined
  let lastKey: string | undefined
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "")
    if (/^\s*([#;]|$)/.test(line)) return
    if (/^\s/.test(line) && cur && lastKey) {
      cur.kv.set(lastKey, `${cur.kv.get(lastKey)} ${line.trim()}`)
      return
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(line)
    if (sec) {
      cur = { id: sec[1]!.trim(), kv: new Map(), line: i + 1 }
      sections.push(cur)
      lastKey = undefined
      return
    }
    const eq = line.indexOf("=")
    if (eq < 0 || !cur) throw corrupt("repo file", `${file}:${i + 1}: expected "[section]" or "key=value", got "${line}"`)
    lastKey = line.slice(0, eq).trim()
    cur.kv.set(lastKey, line.slice(eq + 1).trim())
  })
  return sections
    .filter((s) => s.id !== "main")
    .map((s) => {
      const g = (k: string): string | undefined => {
        const v = s.kv.get(k)
        return v === undefined ? undefined : substitute(v, vars)
      }
      const baseurl = list(g("baseurl"))
      const metalink = g("metalink")
      const mirrorlist = g("mirrorlist")
      if (!baseurl.length && !metalink && !mirrorlist) throw corrupt("repo file", `${file}:${s.line}: repository "${s.id}" has no baseurl, metalink or mirrorlist`)
      return {
        id: s.id,
        name: g("name") ?? s.id,
        enabled: bool(g("enabled"), true),
        baseurl,
        metalink,
        mirrorlist,
        gpgcheck: bool(g("gpgcheck"), false),
        repoGpgcheck: bool(g("repo_gpgcheck"), false),
        gpgkey: list(g("gpgkey")),
        metadataExpire: g("metadata_expire") !== undefined ? parseDuration(g("metadata_expire")!) : 48 * 3600,
        excludepkgs: [...list(g("excludepkgs")), ...list(g("exclude"))],
        includepkgs: list(g("includepkgs")),
        priority: Number(g("priority") ?? 99),
        skipIfUnavailable: bool(g("skip_if_unavailable"), false),
        file,
      }
    })
}

/** Shell-style glob (`*`, `?`, `[…]`) as dnf's excludepkgs matches package names. */
export const globMatch = (pattern: string, name: string): boolean => {
  const re = pattern.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")
  return new RegExp(`^${re}$`).test(name)
}
