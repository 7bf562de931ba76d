/**
 * `upgrade-deploy` — upgrade / rebase / deploy VERSION on an UNBOOTED sysroot (a scratch
 * `--sysroot`, no run dir): there is no shutdown to finalize a staged deployment, so the new
 * deployment is swapped into the boot list at once, first, as `ostree admin deploy` does.
 * Layered packages and overrides are re-applied on the new base first, as in `upgrade`.
 *
 *   pull ──▶ (something to deploy?) ──▶ [layered? assemble] ──▶ prepare ──▶ (list changed?) swap ──▶ cleanup ──▶ done
 *
 * Recovery: abort before BootloaderSwapped (deployment, inactive boot side and the layer's work
 * dir removed; pulled objects kept), complete after it; probeSwap at it.
 */
import { assign, setup } from "xstate"
import { afterPrepare } from "./deploy.js"
import { assembleUndo } from "./layer-step.js"
import { pullStep } from "./pull-step.js"
import { defineTransaction } from "./runtime/definition.js"
import { stepActors } from "./runtime/step.js"
import { probeSwap, sysrootSteps, sysrootUndo } from "./sysroot-steps.js"
import { assembleInput, upgradeGuards, upgradeOutput, upgradeRequest, upgradeSteps, type UpgradeContext, type UpgradeInput, type UpgradeOutput } from "./upgrade.js"

export const upgradeDeploySteps = { pull: pullStep, assemble: upgradeSteps.assemble, prepare: sysrootSteps.prepare, swap: sysrootSteps.swap, cleanup: sysrootSteps.cleanup }

export const upgradeDeployMachine = setup({
  types: { context: {} as UpgradeContext, input: {} as UpgradeInput, output: {} as UpgradeOutput },
  actors: stepActors(upgradeDeploySteps),
  guards: { ...upgradeGuards, listChanged: ({ context }) => context.swap !== undefined },
}).createMachine({
  id: "upgrade-deploy",
  context: ({ input }) => input,
  initial: "pull",
  states: {
    pull: { invoke: { src: "pull", input: ({ context }) => context.pull, onDone: { target: "route", actions: assign({ pulled: ({ event }) => event.output }) } } },
    route: { always: [{ guard: "deploys", target: "layers" }, { target: "done" }] },
    layers: { always: [{ guard: "layers", target: "assemble" }, { target: "prepare" }] },
    assemble: { invoke: { src: "assemble", input: ({ context }) => assembleInput(context), onDone: { target: "prepare", actions: assign({ layeredCommit: ({ event }) => event.output }) } } },
    prepare: {
      invoke: {
        src: "prepare",
        input: ({ context }) => upgradeRequest(context, false),
        onDone: {
          target: "planning",
          actions: assign(({ context, event }) => {
            const r = afterPrepare({ ...context.deploy!, request: { stateroot: context.pulled!.stateroot } }, event.output)
            return { list: r.list, ...(r.swap ? { swap: r.swap } : {}) }
          }),
        },
      },
    },
    planning: { always: [{ guard: "listChanged", target: "swap" }, { target: "cleanup" }] },
    swap: { invoke: { src: "swap", input: ({ context }) => ({ ...context.swap!, deployments: context.list! }), onDone: "cleanup" } },
    cleanup: { invoke: { src: "cleanup", input: ({ context }) => ({ prune: context.deploy!.prune }), onDone: "done" } },
    done: { type: "final" },
  },
  output: upgradeOutput,
})

export const upgradeDeployTransaction = defineTransaction({
  kind: "upgrade-deploy",
  machine: upgradeDeployMachine,
  steps: upgradeDeploySteps,
  pointOfNoReturn: "BootloaderSwapped",
  policy: "abort-or-complete",
  undo: { ...assembleUndo, ...sysrootUndo },
  probe: probeSwap,
})
