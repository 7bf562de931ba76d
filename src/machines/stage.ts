/**
 * `stage` — `ostree admin deploy --stage` (ostree_sysroot_stage_tree): write the deployment now,
 * with no boot entry, and the `$runDir/ostree/staged-deployment` state file that makes the next
 * shutdown finalize it (finalize-staged.ts). The /etc merge waits for finalization, so changes
 * made to /etc until then are kept.
 *
 *   prepare ──▶ stage ──▶ done
 *
 * Point of no return: DeploymentStaged (the state file names the deployment). Before it, undo
 * removes the deployment and puts back the state file it replaced; at it, the probe reads the
 * state file.
 */
import { Buffer } from "node:buffer"
import { assign, setup } from "xstate"
import type { DeploymentRef } from "../events/types/deployment.js"
import type { StageData } from "../events/types/staging.js"
import { planDeployment } from "../io/sysroot/deployment.js"
import { originForRefspec } from "../io/sysroot/origin.js"
import { mergeDeploymentFor, sameDeployment } from "../io/sysroot/plan.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { readStagedStateBytes } from "../io/sysroot/staged.js"
import { applyKargEdit, defaultStateroot, type KargEdit } from "./deploy.js"
import { defineTransaction } from "./runtime/definition.js"
import { TransactionError } from "./runtime/error.js"
import { stepActors } from "./runtime/step.js"
import { probeStage, stagingSteps, stagingUndo } from "./staging-steps.js"
import { refOf, sysrootSteps, sysrootUndo } from "./sysroot-steps.js"

export interface StageInput {
  /** The deployment to write (DeployRequested; staged, no /etc merge yet). */
  readonly request: DeploymentRef & { readonly origin: string; readonly staged: true }
  /** The state file to write, less the deployment's bootcsum (known once it is written). */
  readonly stage: Omit<StageData, "deployment">
}

interface StageContext extends StageInput {
  readonly bootcsum?: string
}

export const stageSteps = { prepare: sysrootSteps.prepare, stage: stagingSteps.stage }

export const stageMachine = setup({
  types: { context: {} as StageContext, input: {} as StageInput, output: {} as { readonly deployment: string } },
  actors: stepActors(stageSteps),
}).createMachine({
  id: "stage",
  context: ({ input }) => input,
  initial: "prepare",
  states: {
    prepare: {
      invoke: { src: "prepare", input: ({ context }) => context.request, onDone: { target: "stage", actions: assign({ bootcsum: ({ event }) => event.output.deployment.bootcsum ?? "" }) } },
    },
    stage: {
      invoke: { src: "stage", input: ({ context }) => ({ ...context.stage, deployment: { ...refOf(context.request), bootcsum: context.bootcsum ?? "" } }), onDone: "done" },
    },
    done: { type: "final" },
  },
  output: ({ context }) => ({ deployment: `${context.request.stateroot}-${context.request.checksum}.${context.request.serial}` }),
})

export const stageTransaction = defineTransaction({
  kind: "stage",
  machine: stageMachine,
  steps: stageSteps,
  pointOfNoReturn: "DeploymentStaged",
  policy: "abort-or-complete",
  undo: { DeployRequested: sysrootUndo["DeployRequested"]!, ...stagingUndo },
  probe: probeStage,
})

export interface StageOptions {
  /** --os; default the booted deployment's stateroot, else the default deployment's. */
  readonly stateroot?: string
  readonly refspec: string
  readonly origin?: string
  /** Override kernel arguments; none: the merge deployment's, taken at finalization. */
  readonly kargs?: string
  readonly kargEdit?: KargEdit
  /** --lock-finalization. */
  readonly locked?: boolean
  /** The booted system's run directory (resolveRunDir); staging needs one, as in ostree. */
  readonly runDir?: string
}

/** The `plan` for runTransaction: the deployment, its merge deployment and the state file it replaces. */
export const planStage =
  (o: StageOptions) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<StageInput> => {
    if (!o.runDir) {
      throw new TransactionError({ op: "stage", reason: "Invalid", detail: "cannot stage a deployment: not booted into an OSTree system (no ostree-booted in the run directory; see --run-dir)" })
    }
    const state = await loadSysroot({ sysroot, runDir: o.runDir })
    const current = state.deployments.filter((d) => !d.staged)
    const booted = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
    const bootedIndex = booted ? current.findIndex((d) => sameDeployment(d, booted)) : -1
    const stateroot = o.stateroot ?? defaultStateroot(current, booted)
    const merge = mergeDeploymentFor({ deployments: current, stateroot, ...(bootedIndex >= 0 ? { bootedIndex } : {}) })
    const id = await planDeployment({ sysroot, stateroot, commit: o.refspec })
    const kargs = o.kargs ?? applyKargEdit(o.kargEdit, merge?.kargs)
    const previous = await readStagedStateBytes(o.runDir)
    return {
      request: { ...id, origin: o.origin ?? originForRefspec(o.refspec), staged: true },
      stage: {
        runDir: o.runDir,
        ...(merge ? { merge: { ...refOf(merge), bootcsum: merge.bootcsum } } : {}),
        ...(kargs !== undefined ? { kargs } : {}),
        ...(o.locked ? { locked: true } : {}),
        ...(previous ? { previous: Buffer.from(previous).toString("base64") } : {}),
        ...(state.staged ? { replaces: refOf(state.staged) } : {}),
      },
    }
  }
