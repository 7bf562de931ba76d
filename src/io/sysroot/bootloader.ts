/**
 * Writing a deployment list to the bootloader, double-buffered, with one commit point
 * (FORMATS.md §6.4, ostree_sysroot_write_deployments_with_options):
 *
 *   writeBootloaderSide  builds the inactive side completely and syncs it; changes nothing the
 *                        bootloader or `loadSysroot` reads.
 *   swapBootloader       the point of no return: one rename (`boot/loader.tmp` → `boot/loader`,
 *                        or `ostree/boot.$B.tmp` → `ostree/boot.$B` on the sub-bootversion path),
 *                        then fsync of the directory.
 *   readLoaderSide       which side is live, and whether a swap is pending — for recovery.
 *   discardBootloaderSide  the undo of writeBootloaderSide before the swap.
 *
 * Bootloader backends (grub2/zipl/syslinux config files) are not written: BLS entries only.
 */
import { mkdir, rename, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { serializeBls } from "../../formats/bls.js"
import { openRepo } from "../repo/repo.js"
import { syncfs } from "../repo/syscalls.js"
import { blsEntryFor, osName } from "./bls-entry.js"
import { checkBootSpace, installKernel, kernelBytes } from "./boot-files.js"
import { deleteDeploymentRefs, writeDeploymentRefs, writeSubboot } from "./bootlinks.js"
import { SysrootError, sysFsError } from "./error.js"
import { fsyncDir, pathExists, readLinkOrUndefined, replaceSymlink, rmrf, touch } from "./fs-ops.js"
import { findKernel, type KernelLayout } from "./kernel.js"
import {
  bootcsumPath, bootlinkPath, bootPath, deployRoot, deploymentPath, entriesPath, entryFileName, loaderDirPath,
  loaderLinkPath, loaderTmpPath, repoPath, subbootPath, sysrootOf, type BootVersion, type SysrootArg,
} from "./layout.js"
import { assignBootserials, planWrite, sameDeployment, type WritePlan } from "./plan.js"
import { loadSysroot, readBootversion, readSubbootversion } from "./read-state.js"
import type { Deployment } from "./types.js"

const other = (v: BootVersion): BootVersion => (v === 0 ? 1 : 0)

/** What writeBootloaderSide built: everything swap, recovery and undo need. Serialisable. */
export interface BootloaderSide {
  readonly kind: WritePlan
  /** The live versions when the side was built. */
  readonly from: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion }
  /** The versions that become live at the swap. */
  readonly bootversion: BootVersion
  readonly subbootversion: BootVersion
  /** The list as written: index and bootserial assigned. */
  readonly deployments: ReadonlyArray<Deployment>
  /** BLS file names written under boot/loader.$B/entries (bootversion path only). */
  readonly entries: ReadonlyArray<string>
  /** `/boot/ostree/$stateroot-$bootcsum` directories this call created. */
  readonly createdBootDirs: ReadonlyArray<string>
}

/** The rename that commits a side: [from, to]. */
const swapPaths = (sysroot: string, side: Pick<BootloaderSide, "kind" | "bootversion">): [string, string] =>
  side.kind === "bootversion"
    ? [loaderTmpPath(sysroot), loaderLinkPath(sysroot)]
    : [`${bootlinkPath(sysroot, side.bootversion)}.tmp`, bootlinkPath(sysroot, side.bootversion)]

/** full_system_sync minus the FIFREEZE cycle Node cannot do: syncfs on the sysroot and on /boot. */
const fullSync = async (sysroot: string): Promise<void> => {
  await syncfs(sysroot)
  await syncfs(bootPath(sysroot))
}

export interface WriteBootloaderOptions {
  readonly sysroot: string
  /** The complete new boot order (default first). Staged deployments are not allowed here. */
  readonly deployments: ReadonlyArray<Deployment>
  /** Always build a new bootversion, even where a sub-bootversion swap would do. */
  readonly forceNewBootversion?: boolean
}

const validate = async (sysroot: string, list: ReadonlyArray<Deployment>, bootedIndex: number | undefined, current: ReadonlyArray<Deployment>): Promise<void> => {
  const op = "write bootloader"
  for (const d of list) {
    if (d.staged) throw new SysrootError({ op, reason: "Invalid", code: "BadState", detail: "a staged deployment cannot be written to the bootloader before it is finalized" })
    if (!(await pathExists(deploymentPath(sysroot, d)))) {
      throw new SysrootError({ op, path: deploymentPath(sysroot, d), reason: "NotFound", code: "BadState", detail: "unable to find expected deployment root" })
    }
  }
  const booted = bootedIndex !== undefined ? current[bootedIndex] : undefined
  if (booted && !list.some((d) => sameDeployment(d, booted))) {
    throw new SysrootError({ op, reason: "Invalid", code: "BootedDeployment", detail: "attempting to remove booted deployment" })
  }
}

/**
 * Builds the inactive side for `deployments`. Idempotent: everything it writes on the inactive
 * side is rebuilt from scratch on a rerun. Checks /boot free space first and fails with
 * SysrootError(NoSpace) before writing anything. Returns `kind: "noop"` (and writes nothing)
 * when the list equals the live one.
 */
export const writeBootloaderSide = async (opts: WriteBootloaderOptions): Promise<BootloaderSide> => {
  const { sysroot } = opts
  const state = await loadSysroot({ sysroot })
  const list = assignBootserials(opts.deployments)
  await validate(sysroot, list, state.bootedIndex, state.deployments)
  const from = { bootversion: state.bootversion, subbootversion: state.subbootversion }
  let kind = planWrite(state.deployments, list)
  if (opts.forceNewBootversion && kind !== "noop") kind = "bootversion"
  if (kind === "noop") return { kind, from, ...from, deployments: list, entries: [], createdBootDirs: [] }
  const repo = await openRepo(repoPath(sysroot))

  if (kind === "subbootversion") {
    const b = state.bootversion
    const s = other(state.subbootversion)
    await writeSubboot({ sysroot, bootversion: b, subbootversion: s, deployments: list })
    await writeDeploymentRefs({ repo, bootversion: b, subbootversion: s, deployments: list })
    await replaceSymlinkTmp(`boot.${b}.${s}`, `${bootlinkPath(sysroot, b)}.tmp`)
    await fullSync(sysroot)
    return { kind, from, bootversion: b, subbootversion: s, deployments: list, entries: [], createdBootDirs: [] }
  }

  const b = other(state.bootversion)
  // Find every kernel first: a deployment without one, or a full /boot, fails before any write.
  const kernels: KernelLayout[] = []
  let needed = 0
  const counted = new Set<string>()
  for (const d of list) {
    const k = await findKernel({ root: deploymentPath(sysroot, d), hash: false, op: "write bootloader: find kernel" })
    kernels.push(k)
    const dir = bootcsumPath(sysroot, d.stateroot, d.bootcsum)
    if (!counted.has(dir) && !(await pathExists(dir))) needed += kernelBytes(k)
    counted.add(dir)
  }
  await checkBootSpace({ boot: bootPath(sysroot), neededBytes: needed + list.length * 4096 })
  const names = await Promise.all(list.map((d) => osName(deploymentPath(sysroot, d))))

  // Start the inactive bootversion from nothing (what ostree's prepare_cleanup leaves): then
  // its sub-bootversion is always 1 and a rerun after a crash rebuilds exactly the same side.
  for (const p of [loaderTmpPath(sysroot), loaderDirPath(sysroot, b), bootlinkPath(sysroot, b), subbootPath(sysroot, b, 0), subbootPath(sysroot, b, 1)]) {
    await rmrf(p, "write bootloader")
  }
  const s = other(readSubbootversion(sysroot, b))

  const entriesDir = entriesPath(sysroot, b)
  await rmrf(entriesDir, "write bootloader")
  const createdBootDirs: string[] = []
  const entries: string[] = []
  const written: Deployment[] = []
  const showStateroot = list.some((d) => d.stateroot !== list[0]!.stateroot)
  try {
    await mkdir(entriesDir, { recursive: true, mode: 0o755 })
    for (const [i, d] of list.entries()) {
      const dir = bootcsumPath(sysroot, d.stateroot, d.bootcsum)
      const { createdDir } = await installKernel({ kernel: kernels[i]!, dir })
      if (createdDir) createdBootDirs.push(dir)
      const file = entryFileName(list.length, i, d.stateroot)
      const entry = blsEntryFor({ deployment: d, kernel: kernels[i]!, name: names[i]!, bootversion: b, count: list.length, showStateroot })
      await writeFile(`${entriesDir}/${file}`, serializeBls(entry), { mode: 0o644 })
      entries.push(file)
      written.push({ ...d, ...(entry.title !== undefined ? { title: entry.title } : {}) })
    }
  } catch (e) {
    throw sysFsError("write bootloader: entries", entriesDir, e)
  }
  await writeSubboot({ sysroot, bootversion: b, subbootversion: s, deployments: list })
  await replaceSymlink(`boot.${b}.${s}`, bootlinkPath(sysroot, b), "write bootloader: bootlinks")
  await deleteDeploymentRefs(repo, b, other(s))
  await writeDeploymentRefs({ repo, bootversion: b, subbootversion: s, deployments: list })
  await ensureBootBootLink(sysroot)
  await replaceSymlink(`loader.${b}`, loaderTmpPath(sysroot), "write bootloader: loader.tmp")
  await fullSync(sysroot)
  return { kind, from, bootversion: b, subbootversion: s, deployments: written, entries, createdBootDirs }
}

const replaceSymlinkTmp = (target: string, path: string): Promise<void> => replaceSymlink(target, path, "write bootloader: bootlink")

/** `boot/boot -> .`, so paths work whether /boot is its own filesystem or not. */
const ensureBootBootLink = async (sysroot: string): Promise<void> => {
  const p = `${bootPath(sysroot)}/boot`
  if (readLinkOrUndefined(p, "write bootloader") === undefined) await replaceSymlink(".", p, "write bootloader: boot/boot")
}

export interface LoaderSide {
  readonly bootversion: BootVersion
  readonly subbootversion: BootVersion
  /** A built but not yet swapped side: which temporary link is waiting. */
  readonly pending?: { readonly kind: "bootversion" | "subbootversion"; readonly target: string }
}

/** Which side is live (`readlink boot/loader`, `readlink ostree/boot.$B`), and any pending swap. */
export const readLoaderSide = (arg: SysrootArg): LoaderSide => {
  const sysroot = sysrootOf(arg)
  const bootversion = readBootversion(sysroot)
  const subbootversion = readSubbootversion(sysroot, bootversion)
  const loaderTmp = readLinkOrUndefined(loaderTmpPath(sysroot), "read loader side")
  const bootTmp = readLinkOrUndefined(`${bootlinkPath(sysroot, bootversion)}.tmp`, "read loader side")
  const pending = loaderTmp !== undefined
    ? { kind: "bootversion" as const, target: loaderTmp }
    : bootTmp !== undefined ? { kind: "subbootversion" as const, target: bootTmp } : undefined
  return { bootversion, subbootversion, ...(pending ? { pending } : {}) }
}

/** True when `side` is what is live now. */
export const isSideLive = (live: Pick<LoaderSide, "bootversion" | "subbootversion">, side: Pick<BootloaderSide, "bootversion" | "subbootversion">): boolean =>
  live.bootversion === side.bootversion && live.subbootversion === side.subbootversion

export interface SwapOptions {
  readonly sysroot: string
  /** The side to commit; without it, whichever temporary link is pending is renamed. */
  readonly side?: Pick<BootloaderSide, "kind" | "bootversion" | "subbootversion">
}

/**
 * The commit point: one rename, then fsync of its directory, then touch `ostree/deploy`.
 * Idempotent: if the side is already live it only re-syncs and reports `swapped: false`.
 */
export const swapBootloader = async (opts: SwapOptions): Promise<LoaderSide & { readonly swapped: boolean }> => {
  const { sysroot } = opts
  const op = "swap bootloader"
  const live = readLoaderSide(sysroot)
  const kind = opts.side?.kind ?? live.pending?.kind
  if (kind === undefined || kind === "noop") return { ...live, swapped: false }
  // The bootversion that the rename affects: the other one for a loader swap, the live one for a bootlink swap.
  const bootversion = opts.side?.bootversion ?? (kind === "bootversion" ? other(live.bootversion) : live.bootversion)
  const [from, to] = swapPaths(sysroot, { kind, bootversion })
  if (opts.side && isSideLive(live, opts.side)) {
    fsyncDir(dirname(to), op)
    return { ...live, swapped: false }
  }
  if (readLinkOrUndefined(from, op) === undefined) {
    throw new SysrootError({ op, path: from, reason: "NotFound", code: "BadState", detail: "no prepared bootloader side to swap in (run writeBootloaderSide first)" })
  }
  try {
    await rename(from, to)
  } catch (e) {
    throw sysFsError(op, to, e)
  }
  fsyncDir(dirname(to), op)
  await touch(deployRoot(sysroot))
  const { pending: _p, ...now } = readLoaderSide(sysroot)
  return { ...now, swapped: true }
}

/**
 * Undo of writeBootloaderSide before the swap: removes the temporary link, the inactive loader
 * directory and bootlinks, the refs of the inactive side, and the bootcsum directories it
 * created that the live list does not use. Refuses once the side is live (past the point of no
 * return: complete instead).
 */
export const discardBootloaderSide = async (opts: { readonly sysroot: string; readonly side: BootloaderSide }): Promise<void> => {
  const { sysroot, side } = opts
  const op = "discard bootloader side"
  if (side.kind === "noop") return
  const live = readLoaderSide(sysroot)
  if (isSideLive(live, side)) {
    throw new SysrootError({ op, reason: "Invalid", code: "BadState", detail: "the side is already live (past the point of no return)" })
  }
  const [tmp] = swapPaths(sysroot, side)
  await rmrf(tmp, op)
  const repo = await openRepo(repoPath(sysroot))
  if (side.kind === "subbootversion") {
    await rmrf(subbootPath(sysroot, side.bootversion, side.subbootversion), op)
    await deleteDeploymentRefs(repo, side.bootversion, side.subbootversion)
    return
  }
  await rmrf(loaderDirPath(sysroot, side.bootversion), op)
  await rmrf(bootlinkPath(sysroot, side.bootversion), op)
  for (const s of [0, 1] as const) {
    await rmrf(subbootPath(sysroot, side.bootversion, s), op)
    await deleteDeploymentRefs(repo, side.bootversion, s)
  }
  // Kernel directories of the side's deployments that the live list does not boot are this
  // side's (even when a rerun found them already there and did not list them as created).
  const state = await loadSysroot({ sysroot })
  const used = new Set(state.deployments.map((d) => d.bootcsum))
  const mine = new Set([...side.createdBootDirs, ...side.deployments.filter((d) => !used.has(d.bootcsum)).map((d) => bootcsumPath(sysroot, d.stateroot, d.bootcsum))])
  for (const dir of mine) if (!used.has(dir.slice(-64))) await rmrf(dir, op)
}
