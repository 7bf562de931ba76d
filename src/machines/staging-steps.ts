/**
 * The steps of staged deployments (FORMATS.md 6.7), between the events of
 * src/events/types/staging.ts:
 *
 *   stage  StageRequested → DeploymentStaged   writes `$runDir/ostree/staged-deployment`
 *                                              undo: put back the state file it replaced
 *   etc    EtcMergeRequested → EtcMerged       the /etc merge into the staged deployment at
 *                                              finalization (re-running it copies the same files)
 *
 * and the probe of `stage`'s point of no return: does the state file name the deployment?
 * Crash points: step:staged, step:etc-merged.
 */
import { Buffer } from "node:buffer"
import { touch } from "../io/sysroot/fs-ops.js"
import { deployRoot } from "../io/sysroot/layout.js"
import { sameDeployment } from "../io/sysroot/plan.js"
import { finalizeStagedEtc, restoreStagedState, stagedStatePath, stagedTarget, writeStagedState } from "../io/sysroot/staged.js"
import type { Deployment } from "../io/sysroot/types.js"
import { DeploymentStaged, EtcMerged, EtcMergeRequested, StageRequested, type StageData, type StagedRef } from "../events/types/staging.js"
import { crashPoint } from "./runtime/crash.js"
import type { RecoveryContext, Side, UndoFn } from "./runtime/definition.js"
import { txnStep } from "./runtime/step.js"

const asDeployment = (r: StagedRef, kargs = ""): Deployment => ({
  stateroot: r.stateroot, checksum: r.checksum, serial: r.serial, bootcsum: r.bootcsum, bootserial: -1, index: -1, origin: "", kargs, pinned: false,
})

export const stagingSteps = {
  stage: txnStep({
    intent: StageRequested,
    fact: DeploymentStaged,
    run: async (req, { sysroot }) => {
      await writeStagedState({
        runDir: req.runDir,
        deployment: asDeployment(req.deployment, req.kargs),
        ...(req.merge ? { mergeFrom: asDeployment(req.merge) } : {}),
        ...(req.locked ? { locked: true } : {}),
      })
      await touch(deployRoot(sysroot)) // ostree bumps the mtime: "deployments changed"
      crashPoint("step:staged")
      return req
    },
  }),
  etc: txnStep({
    intent: EtcMergeRequested,
    fact: EtcMerged,
    run: async (req, { sysroot }) => {
      const diff = finalizeStagedEtc({ sysroot, deployment: req.deployment, mergeFrom: req.merge })
      crashPoint("step:etc-merged")
      return { ...req, modified: diff.modified.length, removed: diff.removed.length, added: diff.added.length }
    },
  }),
}

/** The intent a stage step recorded. */
const stageIntent = (ctx: RecoveryContext): StageData | undefined =>
  [...ctx.steps].reverse().find((s) => s.intent?.type === StageRequested.type)?.intent?.data as StageData | undefined

/** At `stage`'s point of no return: the state file names the deployment, or it does not. */
export const probeStage = async (ctx: RecoveryContext): Promise<Side> => {
  const req = stageIntent(ctx)
  if (!req) return "before"
  const named = await stagedTarget(req.runDir)
  return named && sameDeployment(named, req.deployment) ? "after" : "before"
}

export const stagingUndo: Record<string, UndoFn> = {
  // Only what this stage wrote: a state file naming another deployment is someone else's.
  StageRequested: async (e) => {
    const req = e.data as StageData
    const named = await stagedTarget(req.runDir)
    if (named && sameDeployment(named, req.deployment)) {
      await restoreStagedState(req.runDir, req.previous !== undefined ? Buffer.from(req.previous, "base64") : undefined)
    }
    return [stagedStatePath(req.runDir)]
  },
}
