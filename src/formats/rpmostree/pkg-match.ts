/**
 * `db list REV PATTERN...` selection (rpm-ostree `rpmostree-rpm-util.cxx` pat_fnmatch_match): a
 * package matches when a pattern fnmatch(3)es, ignoring case, its name, NEVRA, `name.arch` or
 * `name-version-release`. fnmatch without FNM_PATHNAME/FNM_PERIOD: `*` and `?` match any
 * character ('/' and a leading '.' included), `[...]` is a bracket expression (`!` or `^`
 * negates), `\` quotes the next character.
 */
import { pkgNevra, type PkgEntry } from "./pkglist.js"

const special = /[.*+?^${}()|[\]\\]/g

/** fnmatch pattern → anchored, case-insensitive RegExp. An unclosed '[' is a literal, as in glibc. */
export const fnmatchRegExp = (pattern: string): RegExp => {
  let re = ""
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === "*") re += "[\\s\\S]*"
    else if (c === "?") re += "[\\s\\S]"
    else if (c === "\\" && i + 1 < pattern.length) re += pattern[++i]!.replace(special, "\\$&")
    else if (c === "[") {
      let j = i + 1
      let negate = false
      if (pattern[j] === "!" || pattern[j] === "^") (negate = true), j++
      if (pattern[j] === "]") j++ // a leading ']' is a member
      while (j < pattern.length && pattern[j] !== "]") j++
      if (j >= pattern.length) {
        re += "\\["
        continue
      }
      const body = pattern.slice(i + 1 + (negate ? 1 : 0), j).replace(/\\/g, "\\\\").replace(/\]/g, "\\]").replace(/\^/g, "\\^")
      re += `[${negate ? "^" : ""}${body}]`
      i = j
    } else re += c.replace(special, "\\$&")
  }
  return new RegExp(`^${re}$`, "i")
}

/** The entries any of `patterns` selects (all of them when there is no pattern), in list order. */
export const matchPackages = (pkgs: ReadonlyArray<PkgEntry>, patterns: ReadonlyArray<string>): PkgEntry[] => {
  if (patterns.length === 0) return [...pkgs]
  const res = patterns.map(fnmatchRegExp)
  return pkgs.filter((p) => {
    const forms = [p.name, pkgNevra(p), `${p.name}.${p.arch}`, `${p.name}-${p.version}-${p.release}`]
    return res.some((re) => forms.some((f) => re.test(f)))
  })
}
