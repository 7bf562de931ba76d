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
import { mkdir } from "node:fs/promises"
import { serialize, variant } from "../../formats/gvariant/index.js"
import { mergeEtc, type EtcDiff } from "./etc-merge.js"
import { sysFsError } from "./error.js"
import { unlinkIfExists, writeFileAtomic } from "./fs-ops.js"
import { deploymentName, deploymentPath, type DeploymentId } from "./layout.js"
import { parseKargs, kargsToStrv } from "./kargs.js"
import type { Deployment } from "./types.js"

export const stagedStatePath = (runDir: string): string => `${runDir}/ostree/staged-deployment`

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
