/**
 * Staged deployments (FORMATS.md §6.7): a deployment prepared now and written to the bootloader
 * at shutdown. Its directory and origin exist at once (prepareDeployment without `mergeFrom`),
 * no BLS entry is written, and `$runDir/ostree/staged-deployment` records it as a native-order
 * `a{sv}`: `target` and `merge-deployment` → {name: "$checksum.$serial", osname, bootcsum},
 * `kargs` (as), `locked` (b). loadSysroot({ runDir }) lists it first.
 *
 * Finalizing is: clearStagedState → finalizeStagedEtc (the /etc merge, so edits made after
 * staging are kept) → writeBootloaderSide + swapBootloader with the deployment first.
 */
import { existsSync } from "node:fs"
import { mkdir, readFile } from "node:fs/promises"
import { lookup, parse, serialize, variant, type VarDict } from "../../formats/gvariant/index.js"
import { mergeEtc, type EtcDiff } from "./etc-merge.js"
import { SysrootError, sysFsError } from "./error.js"
import { isMissing, unlinkIfExists, writeFileAtomic } from "./fs-ops.js"
import { deploymentName, deploymentPath, type DeploymentId } from "./layout.js"
import { parseDeployName } from "./read-state.js"
import { parseKargs, kargsToStrv } from "./kargs.js"
import type { Deployment } from "./types.js"

export const stagedStatePath = (runDir: string): string => `${runDir}/ostree/staged-deployment`
/** ostree admin finalize-staged does nothing while this exists (`--lock-finalization`, by hand). */
export const stagedLockedPath = (runDir: string): string => `${runDir}/ostree/staged-deployment-locked`

/**
 * ostree-prepare-root leaves `$runDir/ostree-booted` on a booted ostree system; only there is the
 * run directory the one shutdown finalizes from (ostree refuses to stage elsewhere).
 */
export const isBootedRunDir = (runDir: string): boolean => existsSync(`${runDir}/ostree-booted`)

const ref = (d: DeploymentId & { readonly bootcsum: string }) =>
  variant("a{sv}", [
    ["name", variant("s", deploymentName(d))],
    ["osname", variant("s", d.stateroot)],
    ["bootcsum", variant("s", d.bootcsum)],
  ])

export interface WriteStagedOptions {
  readonly runDir: string
  readonly deployment: Deployment
  readonly mergeFrom?: Deployment
  /** Lock finalization (ostree admin deploy --stage --lock-finalization). */
  readonly locked?: boolean
}

/** Writes the staged-deployment state file. Undo: clearStagedState (and removeDeployment). */
export const writeStagedState = async (opts: WriteStagedOptions): Promise<{ path: string }> => {
  const path = stagedStatePath(opts.runDir)
  const dict: Array<[string, ReturnType<typeof variant>]> = [["target", ref(opts.deployment)]]
  if (opts.mergeFrom) dict.push(["merge-deployment", ref(opts.mergeFrom)])
  if (opts.deployment.kargs) dict.push(["kargs", variant("as", kargsToStrv(parseKargs(opts.deployment.kargs)))])
  if (opts.locked) dict.push(["locked", variant("b", true)])
  try {
    await mkdir(`${opts.runDir}/ostree`, { recursive: true, mode: 0o755 })
  } catch (e) {
    throw sysFsError("stage deployment", path, e)
  }
  await writeFileAtomic(path, serialize("a{sv}", dict), { op: "stage deployment" })
  return { path }
}

/** Removes the state file (finalization starts with this; so does abandoning a staged deployment). */
export const clearStagedState = async (opts: { readonly runDir: string }): Promise<{ removed: boolean }> =>
  ({ removed: await unlinkIfExists(stagedStatePath(opts.runDir), "clear staged deployment") })

/**
 * The /etc merge of a staged deployment, run at finalization against its merge deployment.
 * A conflict throws SysrootError(EtcConflict) before anything changes.
 */
export const finalizeStagedEtc = (opts: { readonly sysroot: string; readonly deployment: DeploymentId; readonly mergeFrom: DeploymentId }): EtcDiff =>
  mergeEtc({ mergeRoot: deploymentPath(opts.sysroot, opts.mergeFrom), newEtc: `${deploymentPath(opts.sysroot, opts.deployment)}/etc` })

/** The state file's bytes (undefined: none), so an undo can put back exactly what was there. */
export const readStagedStateBytes = async (runDir: string): Promise<Uint8Array | undefined> => {
  const path = stagedStatePath(runDir)
  try {
    return await readFile(path)
  } catch (e) {
    if (isMissing(e)) return undefined
    throw sysFsError("read staged deployment", path, e)
  }
}

/** Writes back bytes read by readStagedStateBytes; undefined removes the file. */
export const restoreStagedState = async (runDir: string, bytes: Uint8Array | undefined): Promise<void> => {
  if (bytes === undefined) {
    await clearStagedState({ runDir })
    return
  }
  await mkdir(`${runDir}/ostree`, { recursive: true, mode: 0o755 }).catch((e) => {
    throw sysFsError("restore staged deployment", stagedStatePath(runDir), e)
  })
  await writeFileAtomic(stagedStatePath(runDir), bytes, { op: "restore staged deployment" })
}

/** Which deployment the state file names, if any (`target` → name, osname). */
export const stagedTarget = async (runDir: string): Promise<DeploymentId | undefined> => {
  const bytes = await readStagedStateBytes(runDir)
  if (!bytes) return undefined
  try {
    const target = lookup(parse("a{sv}", bytes) as VarDict, "target")?.value as VarDict | undefined
    const name = target ? lookup(target, "name")?.value : undefined
    const osname = target ? lookup(target, "osname")?.value : undefined
    const parsed = typeof name === "string" ? parseDeployName(name) : undefined
    return parsed && typeof osname === "string" ? { stateroot: osname, ...parsed } : undefined
  } catch {
    return undefined // unreadable: names nothing (loadSysroot reports it)
  }
}

/** Replaces the `kargs` of the state file (ostree_sysroot_deployment_set_kargs_in_place on a staged deployment). */
export const setStagedKargs = async (runDir: string, kargs: string): Promise<void> => {
  const path = stagedStatePath(runDir)
  const bytes = await readStagedStateBytes(runDir)
  if (!bytes) throw new SysrootError({ op: "set staged kargs", path, reason: "NotFound", code: "BadState", detail: "no staged deployment" })
  const dict = (parse("a{sv}", bytes) as VarDict).filter(([k]) => k !== "kargs")
  dict.push(["kargs", variant("as", kargsToStrv(parseKargs(kargs)))])
  await writeFileAtomic(path, serialize("a{sv}", dict), { op: "set staged kargs" })
}

/** What the state file says besides its target: the merge deployment, override kargs, the lock flag. */
export interface StagedInfo {
  readonly merge?: DeploymentId & { readonly bootcsum: string }
  readonly kargs?: string
  readonly locked?: boolean
}

export const readStagedInfo = async (runDir: string): Promise<StagedInfo | undefined> => {
  const bytes = await readStagedStateBytes(runDir)
  if (!bytes) return undefined
  try {
    const dict = parse("a{sv}", bytes) as VarDict
    const m = lookup(dict, "merge-deployment")?.value as VarDict | undefined
    const name = m ? lookup(m, "name")?.value : undefined
    const parsed = typeof name === "string" ? parseDeployName(name) : undefined
    const osname = m ? lookup(m, "osname")?.value : undefined
    const bootcsum = m ? lookup(m, "bootcsum")?.value : undefined
    const kargs = lookup(dict, "kargs")?.value as string[] | undefined
    const locked = lookup(dict, "locked")?.value === true
    return {
      ...(parsed && typeof osname === "string" && typeof bootcsum === "string" ? { merge: { stateroot: osname, ...parsed, bootcsum } } : {}),
      ...(kargs ? { kargs: kargs.join(" ") } : {}),
      ...(locked ? { locked: true } : {}),
    }
  } catch {
    return undefined
  }
}
