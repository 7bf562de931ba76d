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
import type { BootListEntry, Unstage } from "../events/types/deployment.js"
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
  /** The booted system's run directory: keeps a staged deployment through cleanup. */
  readonly runDir?: string
  /** The staged deployment this list discards (its state file goes right after the swap). */
  readonly unstage?: Unstage
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
    swap: {
      invoke: { src: "swap", input: ({ context }) => ({ ...context.swap!, deployments: context.list, ...(context.unstage ? { unstage: context.unstage } : {}) }), onDone: "cleanup" },
    },
    cleanup: { invoke: { src: "cleanup", input: ({ context }) => ({ prune: context.prune, ...(context.runDir ? { runDir: context.runDir } : {}) }), onDone: "done" } },
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

/** What `pick` chose: the new list, and whether a staged deployment is discarded with it. */
interface Picked {
  readonly list: Deployment[]
  readonly unstage: boolean
}

const planList = async (sysroot: string, runDir: string | undefined, prune: boolean, pick: (all: ReadonlyArray<Deployment>, current: Deployment[], booted?: Deployment) => Picked): Promise<WriteDeploymentsInput> => {
  const state = await loadSysroot({ sysroot, ...(runDir ? { runDir } : {}) })
  const current = state.deployments.filter((d) => !d.staged)
  const booted = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
  const { list: next, unstage } = pick(state.deployments, current, booted)
  const live = { bootversion: state.bootversion, subbootversion: state.subbootversion }
  const discard = unstage && state.staged && runDir ? { stateroot: state.staged.stateroot, checksum: state.staged.checksum, serial: state.staged.serial, runDir } : undefined
  // Discarding the staged deployment alone still runs the swap step: a no-op swap, then the unstage.
  const swap = planSwap(current, next, live) ?? (discard ? live : undefined)
  return { list: next.map(toBootListEntry), ...(swap ? { swap } : {}), prune, ...(runDir ? { runDir } : {}), ...(discard ? { unstage: discard } : {}) }
}

/**
 * rpm-ostree rollback: the rollback deployment (ostree_sysroot_query_deployments_for) goes first;
 * a staged deployment is discarded (rpm-ostree writes a list it is not first in). On a sysroot
 * that is not booted (no booted deployment known) the rollback is the second deployment of the
 * default's stateroot.
 */
export const planRollback =
  (o: { readonly runDir?: string; readonly prune?: boolean } = {}) =>
  ({ sysroot }: { readonly sysroot: string }): Promise<WriteDeploymentsInput> =>
    planList(sysroot, o.runDir, o.prune ?? false, (_all, list, booted) => {
      const stateroot = (booted ?? list[0])?.stateroot
      const same = list.filter((d) => d.stateroot === stateroot)
      const at = booted ? same.findIndex((d) => sameDeployment(d, booted)) : 0
      const rollback = at >= 0 ? same[at + 1] : undefined
      if (!rollback) throw new TransactionError({ op: "rollback", reason: "NotFound", detail: "no rollback deployment found" })
      return { list: [rollback, ...list.filter((d) => !sameDeployment(d, rollback))], unstage: true }
    })

/**
 * ostree admin undeploy INDEX: the index into the list `ostree admin status` shows (a staged
 * deployment first). Undeploying the staged deployment discards it; the booted one is refused.
 */
export const planUndeploy =
  (o: { readonly index: number; readonly runDir?: string; readonly prune?: boolean }) =>
  ({ sysroot }: { readonly sysroot: string }): Promise<WriteDeploymentsInput> =>
    planList(sysroot, o.runDir, o.prune ?? true, (all, list, booted) => {
      const d = all[o.index]
      if (!d) throw new TransactionError({ op: "undeploy", reason: "NotFound", detail: `no deployment at index ${o.index} (${all.length} deployments)` })
      if (booted && sameDeployment(d, booted)) throw new TransactionError({ op: "undeploy", reason: "Invalid", detail: "cannot undeploy the booted deployment" })
      if (d.staged) return { list, unstage: true }
      return { list: list.filter((x) => !sameDeployment(x, d)), unstage: false }
    })

/**
 * rpm-ostree's pending and rollback deployments (ostree_sysroot_query_deployments_for), as
 * indices into the list `ostree admin status` shows. Pending: the staged deployment, else the
 * first deployment of the booted one's stateroot ahead of it. Rollback: the first one after the
 * booted one — or, on a sysroot not booted here, after the default deployment.
 */
export const pendingAndRollback = (all: ReadonlyArray<{ readonly staged?: boolean; readonly stateroot: string }>, bootedIndex: number | undefined): { pending?: number; rollback?: number } => {
  const staged = all.findIndex((d) => d.staged)
  const ref = bootedIndex ?? all.findIndex((d) => !d.staged)
  const anchor = all[ref]
  if (!anchor) return staged >= 0 ? { pending: staged } : {}
  const ahead = bootedIndex !== undefined ? all.findIndex((d, i) => i < ref && !d.staged && d.stateroot === anchor.stateroot) : -1
  const rollback = all.findIndex((d, i) => i > ref && !d.staged && d.stateroot === anchor.stateroot)
  const pending = staged >= 0 ? staged : ahead
  return { ...(pending >= 0 ? { pending } : {}), ...(rollback >= 0 ? { rollback } : {}) }
}

/** rpm-ostree cleanup -p / -r: undeploy the pending or the rollback deployment. */
export const planUndeployWhich =
  (o: { readonly which: "pending" | "rollback"; readonly runDir?: string; readonly prune?: boolean }) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<WriteDeploymentsInput> => {
    const state = await loadSysroot({ sysroot, ...(o.runDir ? { runDir: o.runDir } : {}) })
    const index = pendingAndRollback(state.deployments, state.bootedIndex)[o.which]
    if (index === undefined) throw new TransactionError({ op: `cleanup ${o.which}`, reason: "NotFound", detail: `no ${o.which} deployment` })
    return planUndeploy({ index, ...(o.runDir ? { runDir: o.runDir } : {}), prune: o.prune ?? false })({ sysroot })
  }
