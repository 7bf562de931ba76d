/**
 * `packages` entries are split on whitespace (rpm-ostree `whitespace_split_packages`), except that a
 * rich dependency in parentheses and a `'…'`-quoted entry stay one entry (quotes removed).
 */
export const splitPackages = (entry: string): string[] => {
  const out: string[] = []
  let i = 0
  const n = entry.length
  while (i < n) {
    while (i < n && /\s/.test(entry[i]!)) i++
    if (i >= n) break
    if (entry[i] === "'") {
      const end = entry.indexOf("'", i + 1)
      if (end < 0) throw new Error(`unterminated quote in package entry ${JSON.stringify(entry)}`)
      const v = entry.slice(i + 1, end).trim()
      if (v) out.push(v)
      i = end + 1
    } else if (entry[i] === "(") {
      let depth = 0
      const start = i
      for (; i < n; i++) {
        if (entry[i] === "(") depth++
        else if (entry[i] === ")" && --depth === 0) break
      }
      if (depth !== 0) throw new Error(`unbalanced parentheses in package entry ${JSON.stringify(entry)}`)
      out.push(entry.slice(start, ++i))
    } else {
      const start = i
      while (i < n && !/\s/.test(entry[i]!)) i++
      out.push(entry.slice(start, i))
    }
  }
  return out
}

/** `${name}` substitution (rpm-ostree `envsubst`); unknown names are refused. */
export const substitute = (text: string, vars: ReadonlyMap<string, string | number | boolean>): string =>
  text.replace(/\$\{([A-Za-z_][A-Za-z0-9_-]*)\}/g, (_m, name: string) => {
    const v = vars.get(name)
    if (v === undefined) throw new Error(`unknown variable \${${name}}`)
    return String(v)
  })
