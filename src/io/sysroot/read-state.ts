/**
 * `loadSysroot`: the deployment list exactly as ostree reads it (ostree-sysroot.c
 * sysroot_load_from_bootloader_configs): B from `boot/loader`, S from `ostree/boot.$B`, every
 * `boot/loader.$B/entries/ostree-*.conf` ordered by `version` (strverscmp, descending), each
 * entry's `ostree=` bootlink resolved to its `$checksum.$serial` directory, then the `.origin`.
 * This is also how a sysroot made by `ostree admin` is adopted.
 *
 * The reads are synchronous (a few small files): `strata status` then never starts libuv's
 * thread pool, ~5 ms of its start-up CPU; the functions stay async for their callers.
 */
import { lstatSync, readdirSync, readFileSync, statSync } from "node:fs"
import { basename } from "node:path"
import { compareBlsEntries, parseBls, type BlsEntry } from "../../formats/bls.js"
import { lookup, parse } from "../../formats/gvariant/index.js"
import { getBoolean, parseKeyfile, type Keyfile } from "../../formats/keyfile.js"
import { openRepo, type Repo } from "../repo/repo.js"
import { readCommitObject } from "./commit-object.js"
import { SysrootError, sysFsError } from "./error.js"
import { isMissing, readLinkOrUndefined } from "./fs-ops.js"
import {
  bootlinkPath, deploymentPath, entriesPath, loaderLinkPath, originPath, repoPath, sysrootOf,
  type BootVersion, type SysrootArg,
} from "./layout.js"
import type { Deployment, SysrootState } from "./types.js"

const OP = "load sysroot"
const bad = (detail: string, path?: string): SysrootError =>
  new SysrootError({ op: OP, reason: "Corrupt", code: "BadState", detail, ...(path ? { path } : {}) })

/** Which loader directory `boot/loader` points at (missing → 0, as ostree assumes). */
export const readBootversion = (sysroot: string): BootVersion => {
  const p = loaderLinkPath(sysroot)
  const t = readLinkOrUndefined(p, OP)
  if (t === undefined) return 0
  if (t === "loader.0") return 0
  if (t === "loader.1") return 1
  throw bad(`invalid target '${t}' in boot/loader`, p)
}

/** The sub-bootversion `ostree/boot.$B` points at (missing → 0). */
export const readSubbootversion = (sysroot: string, b: BootVersion): BootVersion => {
  const p = bootlinkPath(sysroot, b)
  const t = readLinkOrUndefined(p, OP)
  if (t === undefined) return 0
  if (t.endsWith(".0")) return 0
  if (t.endsWith(".1")) return 1
  throw bad(`invalid target '${t}' in ostree/boot.${b}`, p)
}

/** The BLS entries of one bootversion, in ostree's order. Each keeps its file name. */
export const readEntries = async (sysroot: string, b: BootVersion): Promise<Array<{ file: string; entry: BlsEntry }>> => {
  const dir = entriesPath(sysroot, b)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (e) {
    if (isMissing(e)) return []
    throw sysFsError(OP, dir, e)
  }
  const out: Array<{ file: string; entry: BlsEntry }> = []
  for (const name of names) {
    if (!name.startsWith("ostree-") || !name.endsWith(".conf")) continue
    const p = `${dir}/${name}`
    try {
      if (!statSync(p).isFile()) continue
      out.push({ file: name, entry: parseBls(readFileSync(p, "utf8")) })
    } catch (e) {
      throw sysFsError(`${OP}: parsing ${name}`, p, e)
    }
  }
  // Array.prototype.sort is stable, like GLib's g_ptr_array_sort: ties keep readdir order.
  return out.sort((x, y) => compareBlsEntries(x.entry, y.entry))
}

const BOOTLINK = /^\/ostree\/boot\.([01])\/([^/]+)\/([^/]+)\/([0-9]+)$/
const DEPLOY_NAME = /^([0-9a-f]+)\.([0-9]+)$/

/** The `ostree=` value of an options string (first match, split on spaces). */
export const ostreeArgOf = (options: string | undefined): string | undefined =>
  options?.split(" ").find((o) => o.startsWith("ostree="))?.slice("ostree=".length)

/** Parses `$checksum.$serial`. */
export const parseDeployName = (name: string): { checksum: string; serial: number } | undefined => {
  const m = DEPLOY_NAME.exec(name)
  return m ? { checksum: m[1]!, serial: Number(m[2]) } : undefined
}

/** The origin text and pinned flag of a deployment; a missing file is "" and unpinned. */
export const readOrigin = async (sysroot: string, d: { stateroot: string; checksum: string; serial: number }): Promise<{ text: string; keyfile?: Keyfile; pinned: boolean }> => {
  const p = originPath(sysroot, d)
  let text: string
  try {
    text = readFileSync(p, "utf8")
  } catch (e) {
    if (isMissing(e)) return { text: "", pinned: false }
    throw sysFsError(OP, p, e)
  }
  let keyfile: Keyfile
  try {
    keyfile = parseKeyfile(text)
  } catch (e) {
    throw bad(`parsing ${basename(p)}: ${(e as Error).message}`, p)
  }
  let pinned = false
  try {
    pinned = getBoolean(keyfile, "libostree-transient", "pinned") ?? false
  } catch {
    pinned = false // GLib reads a malformed boolean as an error, which ostree treats as unpinned
  }
  return { text, keyfile, pinned }
}

/** The commit's `version` metadata, or undefined when the commit or the key is missing. */
export const commitVersion = async (repo: Pick<Repo, "path"> | undefined, checksum: string): Promise<string | undefined> => {
  if (!repo) return undefined
  const c = await readCommitObject(repo.path, checksum)
  const v = c ? lookup(c.metadata, "version") : undefined
  return v && v.type === "s" ? (v.value as string) : undefined
}

const parseEntry = async (sysroot: string, repo: Repo | undefined, file: string, entry: BlsEntry): Promise<Deployment> => {
  const arg = ostreeArgOf(entry.options)
  if (arg === undefined) throw bad(`${file}: no ostree= kernel argument found`)
  const m = BOOTLINK.exec(arg)
  if (!m) throw bad(`${file}: invalid ostree= argument '${arg}', expected ostree=/ostree/boot.BOOTVERSION/OSNAME/BOOTCSUM/TREESERIAL`)
  const stateroot = m[2]!
  const bootcsum = m[3]!
  const bootserial = Number(m[4])
  const link = `${sysroot}${arg}`
  const target = readLinkOrUndefined(link, OP)
  if (target === undefined) throw bad(`${file}: deployment link ${arg} does not exist`, link)
  const parsed = parseDeployName(basename(target))
  if (!parsed) throw bad(`${file}: invalid deploy name '${basename(target)}', expected CHECKSUM.TREESERIAL`, link)
  const id = { stateroot, ...parsed }
  try {
    if (!statSync(link).isDirectory()) throw bad(`${file}: ${arg} is not a directory`, link)
  } catch (e) {
    if (e instanceof SysrootError) throw e
    throw bad(`${file}: deployment ${stateroot}/${basename(target)} is missing`, deploymentPath(sysroot, id))
  }
  const origin = await readOrigin(sysroot, id)
  const version = await commitVersion(repo, parsed.checksum)
  return {
    ...id,
    bootcsum,
    bootserial,
    index: -1,
    origin: origin.text,
    kargs: entry.options ?? "",
    ...(version !== undefined ? { version } : {}),
    pinned: origin.pinned,
    ...(entry.title !== undefined ? { title: entry.title } : {}),
  }
}

/** Reads the staged deployment from `$runDir/ostree/staged-deployment`, if there is one. */
const readStaged = async (sysroot: string, repo: Repo | undefined, runDir: string): Promise<Deployment | undefined> => {
  const p = `${runDir}/ostree/staged-deployment`
  let bytes: Buffer
  try {
    bytes = readFileSync(p)
  } catch (e) {
    if (isMissing(e)) return undefined
    throw sysFsError(OP, p, e)
  }
  try {
    const dict = parse("a{sv}", bytes) as Array<[string, { type: string; value: unknown }]>
    const target = lookup(dict as never, "target")
    if (!target) return undefined
    const t = target.value as Array<[string, { value: unknown }]>
    const get = (k: string): string => {
      const v = t.find(([n]) => n === k)?.[1].value
      if (typeof v !== "string") throw new Error(`missing key: ${k}`)
      return v
    }
    const parsed = parseDeployName(get("name"))
    if (!parsed) throw new Error(`invalid deploy name '${get("name")}'`)
    const id = { stateroot: get("osname"), ...parsed }
    const kargs = lookup(dict as never, "kargs")
    const origin = await readOrigin(sysroot, id)
    const version = await commitVersion(repo, parsed.checksum)
    return {
      ...id,
      bootcsum: get("bootcsum"),
      bootserial: -1,
      index: 0,
      origin: origin.text,
      kargs: kargs ? (kargs.value as string[]).join(" ") : "",
      ...(version !== undefined ? { version } : {}),
      pinned: false,
      staged: true,
    }
  } catch (e) {
    if (e instanceof SysrootError) throw e
    throw bad(`loading staged deployment: ${(e as Error).message}`, p)
  }
}

export interface LoadOptions {
  readonly sysroot: string
  /**
   * The runtime state directory holding `ostree/staged-deployment` and `ostree-booted`. Only a
   * booted system has one; leave it out for an offline sysroot (ostree ignores staging there too).
   */
  readonly runDir?: string
}

/** Loads the sysroot's deployments from its bootloader entries. Read-only. */
export const loadSysroot = async (arg: SysrootArg | LoadOptions): Promise<SysrootState> => {
  const sysroot = sysrootOf(arg)
  const runDir = typeof arg === "string" ? undefined : (arg as LoadOptions).runDir
  try {
    lstatSync(`${sysroot}/ostree/deploy`)
  } catch (e) {
    throw new SysrootError({ op: OP, path: sysroot, reason: "NotFound", code: "NotInitialized", detail: "not an ostree sysroot (no ostree/deploy)" })
  }
  const repo = await openRepo(repoPath(sysroot)).catch(() => undefined)
  const bootversion = readBootversion(sysroot)
  const subbootversion = readSubbootversion(sysroot, bootversion)
  const entries = await readEntries(sysroot, bootversion)
  const list: Deployment[] = []
  for (const { file, entry } of entries) list.push(await parseEntry(sysroot, repo, file, entry))
  const staged = runDir ? await readStaged(sysroot, repo, runDir) : undefined
  if (staged) list.unshift(staged)
  const deployments = list.map((d, index) => ({ ...d, index }))
  const bootedIndex = runDir ? findBooted(sysroot, deployments, runDir) : undefined
  return {
    sysroot,
    bootversion,
    subbootversion,
    deployments,
    repoPath: repoPath(sysroot),
    ...(staged ? { staged: deployments[0]! } : {}),
    ...(bootedIndex !== undefined ? { bootedIndex } : {}),
  }
}

/**
 * With `$runDir/ostree-booted`, the booted deployment is the one whose directory is `/` (or the
 * path STRATA_LIVE_ROOT names: a test seam, see src/io/live/state.ts liveRoot).
 */
const findBooted = (sysroot: string, deployments: ReadonlyArray<Deployment>, runDir: string): number | undefined => {
  try {
    lstatSync(`${runDir}/ostree-booted`)
    const root = statSync(process.env["STRATA_LIVE_ROOT"] || "/")
    const i = deployments.findIndex((d) => {
      if (d.staged) return false
      const st = statSync(deploymentPath(sysroot, d))
      return st.dev === root.dev && st.ino === root.ino
    })
    return i < 0 ? undefined : i
  } catch {
    return undefined
  }
}
