/**
 * `deploy` — `ostree admin deploy` as a transaction: write the new deployment, swap in the boot
 * list ostree_sysroot_simple_write_deployment would write (the point of no return), clean up.
 *
 *   prepare ──▶ (list changed?) ──▶ swap ──▶ cleanup ──▶ done
 *                      └────────── no ─────────┘
 *
 * Recovery: abort before the swap (remove the deployment, discard the inactive side), complete
 * after it (re-run an interrupted cleanup), probe `boot/loader` at it.
 *
 * `planDeploy` computes the input under the sysroot lock (runTransaction's `plan`): it resolves the
 * commit, picks the serial, reads the live list and the merge deployment, so the intents record
 * every decision before anything is written.
 */
import { assign, setup } from "xstate"
import type { BootListEntry } from "../events/types/deployment.js"
import { planDeployment } from "../io/sysroot/deployment.js"
import type { BootVersion } from "../io/sysroot/layout.js"
import { originForRefspec } from "../io/sysroot/origin.js"
import { mergeDeploymentFor, sameDeployment, simpleDeploymentList } from "../io/sysroot/plan.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { defineTransaction } from "./runtime/definition.js"
import { stepActors } from "./runtime/step.js"
import { planSwap, probeSwap, refOf, sysrootSteps, sysrootUndo, toBootListEntry, toDeployment } from "./sysroot-steps.js"

export interface DeployInput {
  readonly request: {
    readonly stateroot: string
    readonly checksum: string
    readonly serial: number
    readonly origin: string
    readonly kargs?: string
    readonly merge?: { readonly stateroot: string; readonly checksum: string; readonly serial: number }
  }
  /** The live boot list (no staged deployment). */
  readonly current: ReadonlyArray<BootListEntry>
  readonly live: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion }
  readonly merge?: BootListEntry
  /** Index into `current` of the booted deployment. */
  readonly bootedIndex?: number
  readonly notAsDefault?: boolean
  readonly retain?: boolean
  /** Prune the repo in the final cleanup (ostree admin deploy does). */
  readonly prune: boolean
}

interface DeployContext extends DeployInput {
  readonly list: ReadonlyArray<BootListEntry>
  readonly swap?: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion }
  readonly added?: BootListEntry
}

export interface DeployOutput {
  /** `$stateroot-$checksum.$serial` */
  readonly deployment: string
  readonly bootversion?: BootVersion
  readonly deployments: ReadonlyArray<string>
}

export const deploySteps = { prepare: sysrootSteps.prepare, swap: sysrootSteps.swap, cleanup: sysrootSteps.cleanup }

const idOf = (d: { stateroot: string; checksum: string; serial: number }): string => `${d.stateroot}-${d.checksum}.${d.serial}`

export const deployMachine = setup({
  types: { context: {} as DeployContext, input: {} as DeployInput, output: {} as DeployOutput },
  actors: stepActors(deploySteps),
  guards: { listChanged: ({ context }) => context.swap !== undefined },
}).createMachine({
  id: "deploy",
  context: ({ input }) => ({ ...input, list: input.current }),
  initial: "prepare",
  states: {
    prepare: {
      invoke: {
        src: "prepare",
        input: ({ context }) => context.request,
        onDone: {
          target: "planning",
          actions: assign(({ context, event }) => {
            const w = event.output
            const added: BootListEntry = {
              ...refOf(w.deployment),
              ...(w.deployment.bootcsum !== undefined ? { bootcsum: w.deployment.bootcsum } : {}),
              ...(w.kargs !== undefined ? { kargs: w.kargs } : {}),
              ...(w.deployment.origin !== undefined ? { origin: w.deployment.origin } : {}),
              ...(w.version !== undefined ? { version: w.version } : {}),
              pinned: false,
            }
            const current = context.current.map(toDeployment)
            const next = simpleDeploymentList({
              current,
              added: toDeployment(added),
              stateroot: context.request.stateroot,
              ...(context.merge ? { merge: toDeployment(context.merge) } : {}),
              ...(context.bootedIndex !== undefined ? { bootedIndex: context.bootedIndex } : {}),
              ...(context.notAsDefault ? { notAsDefault: true } : {}),
              ...(context.retain ? { retain: true } : {}),
            })
            const swap = planSwap(current, next, context.live)
            return { added, list: next.map(toBootListEntry), ...(swap ? { swap } : {}) }
          }),
        },
      },
    },
    planning: { always: [{ guard: "listChanged", target: "swap" }, { target: "cleanup" }] },
    swap: {
      invoke: { src: "swap", input: ({ context }) => ({ ...context.swap!, deployments: context.list }), onDone: "cleanup" },
    },
    cleanup: { invoke: { src: "cleanup", input: ({ context }) => ({ prune: context.prune }), onDone: "done" } },
    done: { type: "final" },
  },
  output: ({ context }) => ({
    deployment: idOf(context.request),
    ...(context.swap ? { bootversion: context.swap.bootversion } : {}),
    deployments: context.list.map(idOf),
  }),
})

export const deployTransaction = defineTransaction({
  kind: "deploy",
  machine: deployMachine,
  steps: deploySteps,
  pointOfNoReturn: "BootloaderSwapped",
  policy: "abort-or-complete",
  undo: sysrootUndo,
  probe: probeSwap,
})

export interface DeployOptions {
  readonly stateroot: string
  /** A ref, `remote:ref`, checksum or prefix. */
  readonly refspec: string
  /** The .origin text; default `[origin] refspec=<refspec>`. */
  readonly origin?: string
  /** Kernel arguments (the BLS options); default the merge deployment's. */
  readonly kargs?: string
  readonly notAsDefault?: boolean
  readonly retain?: boolean
  /** --no-merge: do not carry /etc changes over. */
  readonly noMerge?: boolean
  readonly prune?: boolean
  /** `/run` on a booted system: finds the booted deployment. */
  readonly runDir?: string
}

/** The `plan` for runTransaction: every decision of a deploy, read from the disk under the lock. */
export const planDeploy =
  (o: DeployOptions) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<DeployInput> => {
    const state = await loadSysroot({ sysroot, ...(o.runDir ? { runDir: o.runDir } : {}) })
    const current = state.deployments.filter((d) => !d.staged)
    const booted = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
    const bootedIndex = booted ? current.findIndex((d) => sameDeployment(d, booted)) : -1
    const id = await planDeployment({ sysroot, stateroot: o.stateroot, commit: o.refspec })
    const merge = o.noMerge ? undefined : mergeDeploymentFor({ deployments: current, stateroot: o.stateroot, ...(bootedIndex >= 0 ? { bootedIndex } : {}) })
    const kargs = o.kargs ?? merge?.kargs
    return {
      request: {
        ...id,
        origin: o.origin ?? originForRefspec(o.refspec),
        ...(kargs !== undefined ? { kargs } : {}),
        ...(merge ? { merge: refOf(merge) } : {}),
      },
      current: current.map(toBootListEntry),
      live: { bootversion: state.bootversion, subbootversion: state.subbootversion },
      ...(merge ? { merge: toBootListEntry(merge) } : {}),
      ...(bootedIndex >= 0 ? { bootedIndex } : {}),
      ...(o.notAsDefault ? { notAsDefault: true } : {}),
      ...(o.retain ? { retain: true } : {}),
      prune: o.prune ?? true,
    }
  }
