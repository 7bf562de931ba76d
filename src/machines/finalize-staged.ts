/**
 * `finalize-staged` — `ostree admin finalize-staged` (run by ostree-finalize-staged.service at
 * shutdown): merge /etc into the staged deployment and swap it into the boot list, first, as
 * ostree_sysroot_simple_write_deployment would (no cleanup, like ostree's NO_CLEAN).
 *
 *   (merge deployment?) ──▶ etc ──▶ swap (+ remove the state file) ──▶ done
 *
 * Unlike ostree, the state file is removed only after the swap, so a finalization that is
 * interrupted or fails leaves the deployment staged: recovery aborts before the swap (the state
 * file still names it) and completes after it (removing the state file). A staged deployment is
 * therefore never lost by a crash during finalization; one whose state file /run lost to a
 * power cut is staged again by reconciliation (reconcile.ts).
 */
import { writeFile } from "node:fs/promises"
import { existsSync } from "node:fs"
import { setup } from "xstate"
import type { BootListEntry, DeploymentRef, Unstage } from "../events/types/deployment.js"
import { bootPath, type BootVersion } from "../io/sysroot/layout.js"
import { mergeDeploymentFor, sameDeployment, simpleDeploymentList } from "../io/sysroot/plan.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { readStagedInfo, stagedLockedPath } from "../io/sysroot/staged.js"
import { defineTransaction } from "./runtime/definition.js"
import { TransactionError, messageOf } from "./runtime/error.js"
import { stepActors } from "./runtime/step.js"
import { stagingSteps } from "./staging-steps.js"
import { planSwap, probeSwap, refOf, sysrootSteps, sysrootUndo, toBootListEntry } from "./sysroot-steps.js"

export interface FinalizeInput {
  readonly deployment: DeploymentRef
  readonly merge?: DeploymentRef
  /** The new boot list, the staged deployment first. */
  readonly list: ReadonlyArray<BootListEntry>
  readonly swap: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion }
  readonly unstage: Unstage
}

export const finalizeSteps = { etc: stagingSteps.etc, swap: sysrootSteps.swap }

const idOf = (d: DeploymentRef): string => `${d.stateroot}-${d.checksum}.${d.serial}`

export const finalizeMachine = setup({
  types: { context: {} as FinalizeInput, input: {} as FinalizeInput, output: {} as { readonly deployment: string; readonly deployments: ReadonlyArray<string> } },
  actors: stepActors(finalizeSteps),
  guards: { hasMerge: ({ context }) => context.merge !== undefined },
}).createMachine({
  id: "finalize-staged",
  context: ({ input }) => input,
  initial: "start",
  states: {
    start: { always: [{ guard: "hasMerge", target: "etc" }, { target: "swap" }] },
    etc: { invoke: { src: "etc", input: ({ context }) => ({ deployment: context.deployment, merge: context.merge! }), onDone: "swap" } },
    swap: { invoke: { src: "swap", input: ({ context }) => ({ ...context.swap, deployments: context.list, unstage: context.unstage }), onDone: "done" } },
    done: { type: "final" },
  },
  output: ({ context }) => ({ deployment: idOf(context.deployment), deployments: context.list.map(idOf) }),
})

export const finalizeStagedTransaction = defineTransaction({
  kind: "finalize-staged",
  machine: finalizeMachine,
  steps: finalizeSteps,
  pointOfNoReturn: "BootloaderSwapped",
  policy: "abort-or-complete",
  undo: { BootloaderSwapRequested: sysrootUndo["BootloaderSwapRequested"]! },
  probe: probeSwap,
})

/** Why finalization is skipped, if it is: nothing staged, or finalization locked. */
export const finalizeSkipReason = async (sysroot: string, runDir: string | undefined): Promise<string | undefined> => {
  if (!runDir) return "No deployment staged for finalization (not a booted system; see --run-dir)"
  const state = await loadSysroot({ sysroot, runDir })
  if (!state.staged) return "No deployment staged for finalization"
  if (existsSync(stagedLockedPath(runDir)) || (await readStagedInfo(runDir))?.locked) return `Not finalizing; found ${stagedLockedPath(runDir)} or a locked staged deployment`
  return undefined
}

/** The `plan`: the staged deployment, its merge deployment and kargs, the list with it first. */
export const planFinalize =
  (o: { readonly runDir?: string }) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<FinalizeInput> => {
    const runDir = o.runDir
    const state = runDir ? await loadSysroot({ sysroot, runDir }) : undefined
    const staged = state?.staged
    if (!state || !staged || !runDir) throw new TransactionError({ op: "finalize-staged", reason: "NotFound", detail: "no deployment staged for finalization" })
    const info = (await readStagedInfo(runDir)) ?? {}
    const current = state.deployments.filter((d) => !d.staged)
    const booted = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
    const bootedIndex = booted ? current.findIndex((d) => sameDeployment(d, booted)) : -1
    // The merge deployment named at staging, if it still exists; else ostree's choice now.
    const merge = (info.merge && current.find((d) => sameDeployment(d, info.merge!))) ?? mergeDeploymentFor({ deployments: current, stateroot: staged.stateroot, ...(bootedIndex >= 0 ? { bootedIndex } : {}) })
    const added = { ...staged, staged: false, kargs: info.kargs ?? merge?.kargs ?? "" }
    const list = simpleDeploymentList({
      current,
      added,
      stateroot: staged.stateroot,
      ...(merge ? { merge } : {}),
      ...(bootedIndex >= 0 ? { bootedIndex } : {}),
    })
    const live = { bootversion: state.bootversion, subbootversion: state.subbootversion }
    return {
      deployment: refOf(staged),
      ...(merge ? { merge: refOf(merge) } : {}),
      list: list.map(toBootListEntry),
      swap: planSwap(current, list, live) ?? live,
      unstage: { ...refOf(staged), runDir },
    }
  }

/**
 * Like ostree, a failed finalization leaves its message in /boot/ostree/finalize-failure.stamp
 * for the next boot to show; unlike ostree, the deployment stays staged.
 */
export const recordFinalizeFailure = async (sysroot: string, error: unknown): Promise<void> => {
  await writeFile(`${bootPath(sysroot)}/ostree/finalize-failure.stamp`, `${messageOf(error)}\n`).catch(() => undefined)
}
