/**
 * The sysroot steps every sysroot machine is built from: thin wrappers over src/io/sysroot,
 * each between an intent and a fact of src/events/types/deployment.ts, plus their undo and the
 * probe of the point of no return (the rename of boot/loader.tmp — or ostree/boot.$B.tmp for a
 * sub-bootversion swap — over the live link).
 *
 *   prepare  DeployRequested → DeploymentWritten          prepareDeployment   undo: removeDeployment
 *   swap     BootloaderSwapRequested → BootloaderSwapped  writeBootloaderSide + swapBootloader, then
 *                                                          the state file of a staged deployment the
 *                                                          list leaves out is removed
 *                                                          undo (before the rename): discardBootloaderSide
 *   cleanup  CleanupRequested → CleanupDone               cleanupSysroot (only removes what cannot boot)
 *
 * Crash points inside the steps (STRATA_CRASH_AT): step:prepared, step:side-written,
 * step:swapped, step:unstaged, step:cleaned — each right after its io call returned, before the
 * fact.
 */
import { discardBootloaderSide, readLoaderSide, swapBootloader, writeBootloaderSide } from "../io/sysroot/bootloader.js"
import { cleanupSysroot } from "../io/sysroot/cleanup.js"
import { prepareDeployment, removeDeployment } from "../io/sysroot/deployment.js"
import { deploymentPath, loaderDirPath, subbootPath, type BootVersion } from "../io/sysroot/layout.js"
import { assignBootserials, planWrite, sameDeployment } from "../io/sysroot/plan.js"
import { clearStagedState, stagedTarget } from "../io/sysroot/staged.js"
import type { Deployment } from "../io/sysroot/types.js"
import {
  BootloaderSwapped,
  BootloaderSwapRequested,
  CleanupDone,
  CleanupRequested,
  DeploymentWritten,
  DeployRequested,
  type BootListEntry,
  type DeploymentRef,
} from "../events/types/deployment.js"
import type { RecoveryContext, Side, UndoFn } from "./runtime/definition.js"
import { TransactionError } from "./runtime/error.js"
import { crashPoint } from "./runtime/crash.js"
import { txnStep } from "./runtime/step.js"

/** A boot list entry as io/sysroot's Deployment (index and bootserial are assigned when written). */
export const toDeployment = (e: BootListEntry): Deployment => ({
  stateroot: e.stateroot,
  checksum: e.checksum,
  serial: e.serial,
  bootcsum: e.bootcsum ?? "",
  bootserial: -1,
  index: -1,
  origin: e.origin ?? "",
  kargs: e.kargs ?? "",
  ...(e.version !== undefined ? { version: e.version } : {}),
  pinned: e.pinned ?? false,
})

/** The other way: what a boot list entry records of a Deployment. */
export const toBootListEntry = (d: Deployment): BootListEntry => ({
  stateroot: d.stateroot,
  checksum: d.checksum,
  serial: d.serial,
  bootcsum: d.bootcsum,
  kargs: d.kargs,
  origin: d.origin,
  ...(d.version !== undefined ? { version: d.version } : {}),
  pinned: d.pinned,
})

export const refOf = (d: DeploymentRef): DeploymentRef => ({ stateroot: d.stateroot, checksum: d.checksum, serial: d.serial })

/**
 * The versions a swap to `next` will make live, as writeBootloaderSide decides them: none for the
 * same list; the other sub-bootversion for a reorder of identical boot configs; else the other
 * bootversion, whose sub-bootversion is 1 (it is rebuilt from nothing). Pure: the swap intent
 * records it before anything is written, and the probe compares the disk with it.
 */
export const planSwap = (
  current: ReadonlyArray<Deployment>,
  next: ReadonlyArray<Deployment>,
  live: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion },
): { readonly bootversion: BootVersion; readonly subbootversion: BootVersion } | undefined => {
  const kind = planWrite(current, assignBootserials(next))
  if (kind === "noop") return undefined
  if (kind === "subbootversion") return { bootversion: live.bootversion, subbootversion: live.subbootversion === 0 ? 1 : 0 }
  return { bootversion: live.bootversion === 0 ? 1 : 0, subbootversion: 1 }
}

export const sysrootSteps = {
  prepare: txnStep({
    intent: DeployRequested,
    fact: DeploymentWritten,
    run: async (req, { sysroot }) => {
      const r = await prepareDeployment({
        sysroot,
        stateroot: req.stateroot,
        commit: req.checksum,
        serial: req.serial,
        origin: req.origin ?? "",
        ...(req.kargs !== undefined ? { kargs: req.kargs } : {}),
        ...(req.merge ? { mergeFrom: req.merge } : {}),
      })
      crashPoint("step:prepared") // the deployment is complete, its fact not yet written
      const d = r.deployment
      return {
        deployment: { ...refOf(d), bootcsum: d.bootcsum, origin: d.origin, pinned: false, staged: req.staged ?? false },
        kargs: d.kargs,
        ...(d.version !== undefined ? { version: d.version } : {}),
      }
    },
  }),
  swap: txnStep({
    intent: BootloaderSwapRequested,
    fact: BootloaderSwapped,
    run: async (req, { sysroot }) => {
      const side = await writeBootloaderSide({ sysroot, deployments: req.deployments.map(toDeployment) })
      // "noop" here means the list is already live: a re-run after the rename.
      if (side.kind !== "noop" && (side.bootversion !== req.bootversion || side.subbootversion !== req.subbootversion)) {
        throw new TransactionError({
          op: "swap bootloader",
          reason: "Corrupt",
          detail: `planned loader ${req.bootversion}.${req.subbootversion}, but the disk needs ${side.bootversion}.${side.subbootversion}: the sysroot changed under the transaction`,
          path: sysroot,
        })
      }
      crashPoint("step:side-written") // the inactive side is complete, boot/loader untouched
      if (side.kind !== "noop") await swapBootloader({ sysroot, side })
      crashPoint("step:swapped") // renamed: the disk shows the new list, the log does not yet
      // Only after the rename: a staged deployment must stay staged unless the new list is live.
      const un = req.unstage
      if (un) {
        const named = await stagedTarget(un.runDir)
        if (named && sameDeployment(named, un)) await clearStagedState({ runDir: un.runDir })
        crashPoint("step:unstaged")
      }
      return req
    },
  }),
  cleanup: txnStep({
    intent: CleanupRequested,
    fact: CleanupDone,
    run: async (req, { sysroot }) => {
      const r = await cleanupSysroot({ sysroot, ...(req.prune !== undefined ? { prune: req.prune } : {}), ...(req.runDir !== undefined ? { runDir: req.runDir } : {}) })
      crashPoint("step:cleaned")
      return {
        removed: [...r.removedPaths, ...r.removedBootDirs],
        deployments: r.removedDeployments.map(refOf),
        ...(r.pruned ? { prunedObjects: r.pruned.pruned } : {}),
      }
    },
  }),
}

/** The boot list intent of the last recorded step (the swap, when the probe runs). */
const swapIntent = (ctx: RecoveryContext): { bootversion: BootVersion; subbootversion: BootVersion } => {
  const data = ctx.steps.at(-1)?.intent?.data as { bootversion: BootVersion; subbootversion: BootVersion } | undefined
  if (!data) throw new TransactionError({ op: "probe bootloader", reason: "Corrupt", detail: "no BootloaderSwapRequested to compare with", txn: ctx.txn })
  return data
}

/** At the point of no return: did the rename happen? `readlink boot/loader` (and ostree/boot.$B) say. */
export const probeSwap = async (ctx: RecoveryContext): Promise<Side> => {
  const want = swapIntent(ctx)
  const live = readLoaderSide(ctx.sysroot)
  return live.bootversion === want.bootversion && live.subbootversion === want.subbootversion ? "after" : "before"
}

export const sysrootUndo: Record<string, UndoFn> = {
  // Partial or complete: removeDeployment takes either, and refuses one in the live boot list.
  DeployRequested: async (e, ctx) => {
    const d = refOf(e.data as DeploymentRef)
    await removeDeployment({ sysroot: ctx.sysroot, deployment: d })
    return [deploymentPath(ctx.sysroot, d)]
  },
  // Only reached when the probe said the rename did not happen.
  BootloaderSwapRequested: async (e, ctx) => {
    const want = e.data as { bootversion: BootVersion; subbootversion: BootVersion }
    const live = readLoaderSide(ctx.sysroot)
    const kind = live.bootversion === want.bootversion ? "subbootversion" : "bootversion"
    const side = { kind, from: { bootversion: live.bootversion, subbootversion: live.subbootversion }, ...want, deployments: [], entries: [], createdBootDirs: [] } as const
    await discardBootloaderSide({ sysroot: ctx.sysroot, side })
    return [kind === "bootversion" ? loaderDirPath(ctx.sysroot, want.bootversion) : subbootPath(ctx.sysroot, want.bootversion, want.subbootversion)]
  },
}
