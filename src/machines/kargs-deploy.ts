/**
 * `strata kargs` (rpm-ostree kargs): new kernel arguments take a new deployment of the same
 * commit and origin (rpm-ostree never edits a boot entry in place), written by the deploy machine
 * — or staged, on a booted system, as rpm-ostree does. The edit is applied under the lock to the
 * booted deployment's arguments (the default deployment's on a sysroot not booted here).
 */
import { editKargs, type KargsEdit } from "../io/sysroot/kargs.js"
import { originWithoutTransient } from "../io/sysroot/origin.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import type { Deployment } from "../io/sysroot/types.js"
import { planDeploy, type DeployInput } from "./deploy.js"
import { TransactionError } from "./runtime/error.js"
import { planStage, type StageInput } from "./stage.js"

/** The deployment whose arguments `strata kargs` shows and edits. */
export const kargsBase = async (sysroot: string, runDir?: string): Promise<Deployment> => {
  const state = await loadSysroot({ sysroot, ...(runDir ? { runDir } : {}) })
  const d = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : state.deployments.find((x) => !x.staged)
  if (!d) throw new TransactionError({ op: "kargs", reason: "NotFound", detail: "no deployment" })
  return d
}

export interface KargsDeployOptions {
  /** --append/--replace/--delete…, applied in rpm-ostree's order. */
  readonly edit?: KargsEdit
  /** The whole new line (--editor). */
  readonly set?: string
  readonly runDir?: string
}

/** The new options line, or undefined when the edit changes nothing. */
export const editedKargs = (current: string, o: Pick<KargsDeployOptions, "edit" | "set">): string | undefined => {
  const next = o.set !== undefined ? o.set : editKargs(current, o.edit ?? {})
  return next.trim() === current.trim() ? undefined : next
}

const base = async (sysroot: string, o: KargsDeployOptions) => {
  const d = await kargsBase(sysroot, o.runDir)
  const kargs = editedKargs(d.kargs, o)
  if (kargs === undefined) throw new TransactionError({ op: "kargs", reason: "Invalid", detail: "the kernel arguments are unchanged" })
  return { stateroot: d.stateroot, refspec: d.checksum, origin: originWithoutTransient(d.origin), kargs }
}

export const planKargsDeploy =
  (o: KargsDeployOptions) =>
  async (ctx: { readonly sysroot: string }): Promise<DeployInput> =>
    planDeploy({ ...(await base(ctx.sysroot, o)), ...(o.runDir ? { runDir: o.runDir } : {}) })(ctx)

export const planKargsStage =
  (o: KargsDeployOptions) =>
  async (ctx: { readonly sysroot: string }): Promise<StageInput> =>
    planStage({ ...(await base(ctx.sysroot, o)), ...(o.runDir ? { runDir: o.runDir } : {}) })(ctx)
