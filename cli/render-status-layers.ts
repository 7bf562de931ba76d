/**
 * The layering lines of `rpm-ostree status` (src/app/rpmostree-builtin-status.cxx
 * print_one_deployment, print_values): keys right-aligned to the widest key
 * ("InactiveRemoteOverrides"), values shell-quoted where asked, sorted ignoring ASCII case,
 * wrapped to the terminal (80 columns when stdout is not one), or one per line under a header.
 * Local replacements print as `ReplacedBasePackages` (`InactiveBaseReplacements` with -v), the
 * name rpm-ostree gave them for years and documents; newer releases say `LocalOverrides`.
 */
import type { StatusDeployment } from "../src/machines/status.js"

export const KEY_WIDTH = "InactiveRemoteOverrides".length

/** `  %*s: value` (rpmostree_print_kv); an empty key prints a blank and no colon. */
export const kv = (key: string, value: string): string => `  ${key.padStart(KEY_WIDTH)}${key ? ":" : " "} ${value}`

/** maybe_shell_quote: kept as is when it is shell-safe, else g_shell_quote'd. */
export const maybeShellQuote = (s: string): string => (/^[A-Za-z0-9\-._/=:]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`)

const asciiCaseCmp = (a: string, b: string): number => {
  const x = a.replace(/[A-Z]/g, (c) => c.toLowerCase())
  const y = b.replace(/[A-Z]/g, (c) => c.toLowerCase())
  return x < y ? -1 : x > y ? 1 : 0
}

const columns = (): number => {
  const c = process.stdout.isTTY ? process.stdout.columns : 80
  return Math.min(256, c && c > 0 ? c : 80)
}

/** print_values: nothing when every value is omitted. */
export const values = (
  key: string,
  list: ReadonlyArray<string>,
  o: { omit?: ReadonlyArray<string>; quote?: boolean; header?: string } = {},
): string[] => {
  const vals = list.filter((v) => !o.omit?.includes(v)).map((v) => (o.quote ? maybeShellQuote(v) : v)).sort(asciiCaseCmp)
  if (vals.length === 0) return []
  const lead = kv(key, "")
  const blank = kv("", "")
  if (o.header !== undefined) {
    return [lead + o.header, ...vals.map((v, i) => `${blank}${i === vals.length - 1 ? "└─" : "├─"} ${v}`)]
  }
  const right = KEY_WIDTH + 2 + 2
  const width = right >= columns() ? Number.MAX_SAFE_INTEGER : Math.max(64, columns() - right)
  const out: string[] = []
  let line = lead
  let used = 0
  for (const v of vals) {
    if (used === 0) (line += v), (used = v.length)
    else if (used + v.length + 1 <= width) (line += ` ${v}`), (used += v.length + 1)
    else {
      out.push(line)
      line = blank + v
      used = v.length
    }
  }
  out.push(line)
  return out
}

/** Names grouped by a shared suffix, as "a b SUFFIX" (the removal / override lines). */
const grouped = (items: ReadonlyArray<{ name: string; key: string }>): string[] => {
  const by = new Map<string, string[]>()
  for (const { name, key } of items) by.set(key, [...(by.get(key) ?? []), name])
  return [...by].map(([key, names]) => `${names.join(" ")} ${key}`)
}

/** The lines after the commit lines, in rpm-ostree's order. */
export const layerLines = (d: StatusDeployment, verbose: boolean): string[] => {
  const lines: string[] = []
  const layer = d.commit.layer
  const req = d.requests
  const removed = layer?.removed ?? []
  lines.push(...values("RemovedBasePackages", grouped(removed.map((p) => ({ name: p.name, key: p.evr })))))
  if (verbose) lines.push(...values("InactiveBaseRemovals", req.remove, { omit: removed.map((p) => p.name), quote: true }))
  const local = layer?.replacedLocal ?? []
  lines.push(...values("ReplacedBasePackages", grouped(local.map((r) => ({ name: r.new.name, key: `${r.old.evr} -> ${r.new.evr}` })))))
  if (verbose) lines.push(...values("InactiveBaseReplacements", req.replaceLocal.map((p) => p.nevra), { omit: local.map((r) => r.new.nevra), quote: true }))
  const remote = layer?.replacedRemote ?? []
  for (const { source, replaced } of remote) {
    if (replaced.length) lines.push(...values("RemoteOverrides", replaced.map((r) => `${r.new.name} ${r.old.evr} -> ${r.new.evr}`), { header: source }))
  }
  if (verbose) {
    const active = remote.flatMap((s) => s.replaced.map((r) => r.new.name))
    let printed = false
    for (const r of req.replace) {
      const l = values(printed ? "" : "InactiveRemoteOverrides", r.packages, { omit: active, header: `repo=${r.repo}` })
      if (l.length) (printed = true), lines.push(...l)
    }
    lines.push(...values("InactiveRequests", req.requested, { omit: layer?.packages ?? [], quote: true }))
  }
  lines.push(...values("LayeredPackages", layer?.packages ?? [], { quote: true }))
  lines.push(...values("LocalPackages", req.requestedLocal.map((p) => p.nevra), { quote: true }))
  if (req.regenerateInitramfs) lines.push(kv("Initramfs", req.initramfsArgs.length ? req.initramfsArgs.map((a) => `${maybeShellQuote(a)} `).join("") : "regenerate"))
  lines.push(...values("InitramfsEtc", req.initramfsEtc, { quote: true }))
  return lines
}
