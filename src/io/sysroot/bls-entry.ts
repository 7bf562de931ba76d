/**
 * The BLS entry ostree writes for a deployment (FORMATS.md §6.3, install_deployment_kernel):
 * title from os-release + commit version + `(ostree[:stateroot]:index)`, `version` = count −
 * index, `options` = the kargs with `ostree=` (and `init=` when there is no initramfs) replaced
 * in place, `linux`/`initrd`/`devicetree` under `/ostree/$stateroot-$bootcsum/`.
 */
import { readFile } from "node:fs/promises"
import type { BlsEntry } from "../../formats/bls.js"
import { SysrootError } from "./error.js"
import { isMissing } from "./fs-ops.js"
import { formatKargs, parseKargs, replaceKarg } from "./kargs.js"
import type { KernelLayout } from "./kernel.js"
import { bootcsumDirName, ostreeKargValue, type BootVersion } from "./layout.js"
import type { Deployment } from "./types.js"

/** g_shell_unquote: '…' literal, "…" with \ escaping $ ` " \ and newline, bare \x → x. */
export const shellUnquote = (s: string): string | undefined => {
  let out = ""
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if (c === "'") {
      const end = s.indexOf("'", i + 1)
      if (end < 0) return undefined
      out += s.slice(i + 1, end)
      i = end + 1
    } else if (c === '"') {
      i++
      for (;;) {
        if (i >= s.length) return undefined
        const d = s[i]!
        if (d === '"') break
        if (d === "\\" && i + 1 < s.length && '$`"\\\n'.includes(s[i + 1]!)) {
          if (s[i + 1] !== "\n") out += s[i + 1]
          i += 2
        } else {
          out += d
          i++
        }
      }
      i++
    } else if (c === "\\" && i + 1 < s.length) {
      if (s[i + 1] !== "\n") out += s[i + 1]
      i += 2
    } else {
      out += c
      i++
    }
  }
  return out
}

/** parse_os_release: KEY=value lines, comments skipped, values shell-unquoted. */
export const parseOsRelease = (text: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue
    const eq = line.indexOf("=")
    if (eq < 0) continue
    const v = shellUnquote(line.slice(eq + 1))
    if (v !== undefined) out.set(line.slice(0, eq), v)
  }
  return out
}

/** PRETTY_NAME, else ID, of `usr/lib/os-release` (else `etc/os-release`) in a deployment. */
export const osName = async (root: string): Promise<string> => {
  let text: string | undefined
  for (const p of ["usr/lib/os-release", "etc/os-release"]) {
    try {
      text = await readFile(`${root}/${p}`, "utf8")
      break
    } catch (e) {
      if (!isMissing(e)) throw e
    }
  }
  const m = parseOsRelease(text ?? "")
  const name = m.get("PRETTY_NAME") ?? m.get("ID")
  if (name === undefined || text === undefined) {
    throw new SysrootError({ op: "write boot entry", path: root, reason: "NotFound", code: "BadState", detail: "no PRETTY_NAME or ID in /etc/os-release" })
  }
  return name
}

export interface EntryInput {
  readonly deployment: Deployment
  readonly kernel: KernelLayout
  /** os-release name (osName). */
  readonly name: string
  readonly bootversion: BootVersion
  readonly count: number
  /** Several stateroots in the list: titles name the stateroot. */
  readonly showStateroot: boolean
}

/** The entry for one deployment; `deployment.index` and `.bootserial` must be assigned. */
export const blsEntryFor = (i: EntryInput): BlsEntry => {
  const d = i.deployment
  const dir = `/ostree/${bootcsumDirName(d.stateroot, d.bootcsum)}`
  const v = d.version
  let title = i.name
  if (v && !i.name.includes(v)) title += ` ${v}`
  title += ` (ostree${i.showStateroot ? `:${d.stateroot}` : ""}:${d.index})`
  const link = ostreeKargValue(i.bootversion, d.stateroot, d.bootcsum, d.bootserial)
  let kargs = parseKargs(d.kargs)
  if (!i.kernel.initramfs) kargs = replaceKarg(kargs, `init=${link}/usr/lib/ostree/ostree-prepare-root`)
  kargs = replaceKarg(kargs, `ostree=${link}`)
  const extra: Array<[string, string]> = []
  if (i.kernel.dtbDir) extra.push(["fdtdir", `${dir}/${i.kernel.dtbDir.name}`])
  return {
    title,
    version: String(i.count - d.index),
    options: formatKargs(kargs),
    ...(i.kernel.devicetree ? { devicetree: `${dir}/${i.kernel.devicetree.name}` } : {}),
    linux: `${dir}/${i.kernel.kernel.name}`,
    initrd: i.kernel.initramfs ? [`${dir}/${i.kernel.initramfs.name}`] : [],
    extra,
  }
}
