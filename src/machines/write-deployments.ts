/**
 * Transactions that only change the boot list (ostree_sysroot_write_deployments + cleanup):
 * `rollback` (rpm-ostree rollback: the rollback deployment first, the others after it in order)
 * and `undeploy` (ostree admin undeploy INDEX). Same machine, different plans:
 *
 *   (list changed?) ──▶ swap ──▶ cleanup ──▶ done
 *          └──── no ───────────────┘
 *
 * Before the swap nothing was written, after it only cleanup runs (re-run by recovery), at it the
 * probe reads `boot/loader`.
 */
import { setup } from "xstate"
import type { BootListEntry } from "../events/types/deployment.js"
import type { BootVersion } from "../io/sysroot/layout.js"
import { sameDeployment } from "../io/sysroot/plan.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import type { Deployment } from "../io/sysroot/types.js"
import { defineTransaction } from "./runtime/definition.js"
import { TransactionError } from "./runtime/error.js"
import { stepActors } from "./runtime/step.js"
import { planSwap, probeSwap, sysrootSteps, sysrootUndo, toBootListEntry } from "./sysroot-steps.js"

export interface WriteDeploymentsInput {
  /** The new boot list, default first. */
  readonly list: ReadonlyArray<BootListEntry>
  /** The versions the swap makes live; absent when the list is the live one. */
  readonly swap?: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion }
  readonly prune: boolean
}

export const writeDeploymentsSteps = { swap: sysrootSteps.swap, cleanup: sysrootSteps.cleanup }

const idOf = (d: { stateroot: string; checksum: string; serial: number }): string => `${d.stateroot}-${d.checksum}.${d.serial}`

export const writeDeploymentsMachine = setup({
  types: { context: {} as WriteDeploymentsInput, input: {} as WriteDeploymentsInput, output: {} as { readonly deployments: ReadonlyArray<string> } },
  actors: stepActors(writeDeploymentsSteps),
  guards: { listChanged: ({ context }) => context.swap !== undefined },
}).createMachine({
  id: "write-deployments",
  context: ({ input }) => input,
  initial: "planning",
  states: {
    planning: { always: [{ guard: "listChanged", target: "swap" }, { target: "cleanup" }] },
    swap: { invoke: { src: "swap", input: ({ context }) => ({ ...context.swap!, deployments: context.list }), onDone: "cleanup" } },
    cleanup: { invoke: { src: "cleanup", input: ({ context }) => ({ prune: context.prune }), onDone: "done" } },
    done: { type: "final" },
  },
  output: ({ context }) => ({ deployments: context.list.map(idOf) }),
})

const defineWrite = (kind: "rollback" | "undeploy") =>
  defineTransaction({
    kind,
    machine: writeDeploymentsMachine,
    steps: writeDeploymentsSteps,
    pointOfNoReturn: "BootloaderSwapped",
    policy: "abort-or-complete",
    undo: { BootloaderSwapRequested: sysrootUndo["BootloaderSwapRequested"]! },
    probe: probeSwap,
  })

export const rollbackTransaction = defineWrite("rollback")
export const undeployTransaction = defineWrite("undeploy")

const planList = async (sysroot: string, runDir: string | undefined, prune: boolean, pick: (list: Deployment[], booted?: Deployment) => Deployment[]): Promise<WriteDeploymentsInput> => {
  const state = await loadSysroot({ sysroot, ...(runDir ? { runDir } : {}) })
  const current = state.deployments.filter((d) => !d.staged)
  const booted = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
  const next = pick(current, booted)
  const swap = planSwap(current, next, { bootversion: state.bootversion, subbootversion: state.subbootversion })
  return { list: next.map(toBootListEntry), ...(swap ? { swap } : {}), prune }
}

/**
 * rpm-ostree rollback: the rollback deployment (ostree_sysroot_query_deployments_for) goes first.
 * On a sysroot that is not booted (no booted deployment known) the rollback is the second
 * deployment of the default's stateroot.
 */
export const planRollback =
  (o: { readonly runDir?: string; readonly prune?: boolean } = {}) =>
  ({ sysroot }: { readonly sysroot: string }): Promise<WriteDeploymentsInput> =>
    planList(sysroot, o.runDir, o.prune ?? false, (list, booted) => {
      const stateroot = (booted ?? list[0])?.stateroot
      const same = list.filter((d) => d.stateroot === stateroot)
      const at = booted ? same.findIndex((d) => sameDeployment(d, booted)) : 0
      const rollback = at >= 0 ? same[at + 1] : undefined
      if (!rollback) throw new TransactionError({ op: "rollback", reason: "NotFound", detail: "no rollback deployment found" })
      return [rollback, ...list.filter((d) => !sameDeployment(d, rollback))]
    })

/** ostree admin undeploy INDEX (index into the boot list; the booted deployment is refused by the swap). */
export const planUndeploy =
  (o: { readonly index: number; readonly runDir?: string; readonly prune?: boolean }) =>
  ({ sysroot }: { readonly sysroot: string }): Promise<WriteDeploymentsInput> =>
    planList(sysroot, o.runDir, o.prune ?? true, (list, booted) => {
      const d = list[o.index]
      if (!d) throw new TransactionError({ op: "undeploy", reason: "NotFound", detail: `no deployment at index ${o.index} (${list.length} deployments)` })
      if (booted && sameDeployment(d, booted)) throw new TransactionError({ op: "undeploy", reason: "Invalid", detail: "cannot undeploy the booted deployment" })
      return list.filter((_, i) => i !== o.index)
    })
