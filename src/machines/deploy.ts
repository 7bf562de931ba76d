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
import type { BootListEntry, Unstage } from "../events/types/deployment.js"
import { planDeployment } from "../io/sysroot/deployment.js"
import type { BootVersion } from "../io/sysroot/layout.js"
import { appendKarg, formatKargs, parseKargs, replaceKarg } from "../io/sysroot/kargs.js"
import { originForRefspec } from "../io/sysroot/origin.js"
import { mergeDeploymentFor, sameDeployment, simpleDeploymentList } from "../io/sysroot/plan.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { defineTransaction } from "./runtime/definition.js"
import { TransactionError } from "./runtime/error.js"
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
  /** The booted system's run directory: keeps a staged deployment through cleanup. */
  readonly runDir?: string
  /** A staged deployment, discarded once the new list is live (ostree does it for any list it is not first in). */
  readonly unstage?: Unstage
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


/** The prepared deployment put into ostree's new boot list, and the swap that makes it live (none: the list is unchanged). */
export const afterPrepare = (
  context: Pick<DeployInput, "current" | "live" | "merge" | "bootedIndex" | "notAsDefault" | "retain" | "unstage"> & { readonly request: { readonly stateroot: string } },
  w: { readonly deployment: BootListEntry & { readonly bootcsum?: string }; readonly kargs?: string; readonly version?: string },
): { added: BootListEntry; list: BootListEntry[]; swap?: { bootversion: BootVersion; subbootversion: BootVersion } } => {
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
  // Unstaging alone still runs the swap step (a no-op swap of the live list, then the unstage).
  const swap = planSwap(current, next, context.live) ?? (context.unstage ? context.live : undefined)
  return { added, list: next.map(toBootListEntry), ...(swap ? { swap } : {}) }
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
          actions: assign(({ context, event }) => afterPrepare(context, event.output)),
        },
      },
    },
    planning: { always: [{ guard: "listChanged", target: "swap" }, { target: "cleanup" }] },
    swap: {
      invoke: { src: "swap", input: ({ context }) => ({ ...context.swap!, deployments: context.list, ...(context.unstage ? { unstage: context.unstage } : {}) }), onDone: "cleanup" },
    },
    cleanup: { invoke: { src: "cleanup", input: ({ context }) => ({ prune: context.prune, ...(context.runDir ? { runDir: context.runDir } : {}) }), onDone: "done" } },
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

export interface KargEdit {
  /** Start from this command line (the text of /proc/cmdline) instead of the merge deployment's. */
  readonly procCmdline?: string
  readonly replace?: ReadonlyArray<string>
  readonly append?: ReadonlyArray<string>
}

/**
 * ot-admin-builtin-deploy.c: no edit → undefined (the merge deployment's options); else the base
 * (/proc/cmdline minus BOOT_IMAGE and initrd, or the merge deployment's options) with each
 * --karg replacing its key and each --karg-append added.
 */
export const applyKargEdit = (edit: KargEdit | undefined, mergeKargs: string | undefined): string | undefined => {
  if (!edit || (edit.procCmdline === undefined && !edit.replace?.length && !edit.append?.length)) return undefined
  let k =
    edit.procCmdline !== undefined
      ? parseKargs(edit.procCmdline.trim()).filter((x) => x.key !== "" && x.key !== "BOOT_IMAGE" && x.key !== "initrd")
      : parseKargs(mergeKargs)
  for (const a of edit.replace ?? []) k = replaceKarg(k, a)
  for (const a of edit.append ?? []) k = appendKarg(k, a)
  return formatKargs(k)
}

export interface DeployOptions {
  /** --os; default the booted deployment's stateroot, else the default deployment's. */
  readonly stateroot?: string
  /** A ref, `remote:ref`, checksum or prefix. */
  readonly refspec: string
  /** The .origin text; default `[origin] refspec=<refspec>`. */
  readonly origin?: string
  /** Kernel arguments (the BLS options); default the merge deployment's. */
  readonly kargs?: string
  /**
   * ostree admin deploy's --karg-proc-cmdline / --karg / --karg-append, applied (in that order)
   * to the merge deployment's options (or /proc/cmdline's) under the lock. Ignored with `kargs`.
   */
  readonly kargEdit?: KargEdit
  readonly notAsDefault?: boolean
  readonly retain?: boolean
  /** --no-merge: do not carry /etc changes over. */
  readonly noMerge?: boolean
  readonly prune?: boolean
  /** The run directory of a booted system (see resolveRunDir): finds the booted and staged deployments. */
  readonly runDir?: string
}

/** No --os: the booted deployment's stateroot, else the default deployment's (ostree needs one booted). */
export const defaultStateroot = (current: ReadonlyArray<{ readonly stateroot: string }>, booted?: { readonly stateroot: string }): string => {
  const s = booted?.stateroot ?? current[0]?.stateroot
  if (s === undefined) throw new TransactionError({ op: "deploy", reason: "Invalid", detail: "no deployment to take the stateroot from: give --os=STATEROOT" })
  return s
}

/** The `plan` for runTransaction: every decision of a deploy, read from the disk under the lock. */
export const planDeploy =
  (o: DeployOptions) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<DeployInput> => {
    const state = await loadSysroot({ sysroot, ...(o.runDir ? { runDir: o.runDir } : {}) })
    const current = state.deployments.filter((d) => !d.staged)
    const booted = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
    const bootedIndex = booted ? current.findIndex((d) => sameDeployment(d, booted)) : -1
    const stateroot = o.stateroot ?? defaultStateroot(current, booted)
    const id = await planDeployment({ sysroot, stateroot, commit: o.refspec })
    const merge = o.noMerge ? undefined : mergeDeploymentFor({ deployments: current, stateroot, ...(bootedIndex >= 0 ? { bootedIndex } : {}) })
    const kargs = o.kargs ?? applyKargEdit(o.kargEdit, merge?.kargs) ?? merge?.kargs
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
      ...(o.runDir ? { runDir: o.runDir } : {}),
      ...(state.staged && o.runDir ? { unstage: { ...refOf(state.staged), runDir: o.runDir } } : {}),
    }
  }
