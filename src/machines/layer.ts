/**
 * `layer` and `layer-deploy` — rpm-ostree's install / uninstall / override / reset as
 * transactions: the merge deployment's origin is edited (layer-edit.ts), a client-layer commit
 * is built from its base + the new layering state (layer-step.ts), and a NEW deployment is made
 * from it; the booted deployment is never modified.
 *
 *   layer (booted system, run dir):   assemble ──▶ prepare ──▶ stage ──▶ done
 *   layer-deploy (unbooted sysroot):  assemble ──▶ prepare ──▶ (list changed?) swap ──▶ cleanup ──▶ done
 *
 * as `rpm-ostree` stages and `ostree admin deploy` swaps (the new deployment first in the boot
 * list), so a scratch `--sysroot` works end to end.
 *
 * Recovery (abort-or-complete): before the point of no return (DeploymentStaged /
 * BootloaderSwapped) the deployment directory, the replaced state file or the inactive boot
 * side, and the build's work dir are removed; the commit's objects, imported packages and the
 * download cache stay (content-addressed). After it, the new deployment stays.
 */
import { Buffer } from "node:buffer"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { assign, setup } from "xstate"
import type { BootListEntry, Unstage } from "../events/types/deployment.js"
import type { LayerData, LayeredData } from "../events/types/layer.js"
import type { StageData } from "../events/types/staging.js"
import { baseCommitOf } from "../io/layer/build.js"
import { describeLocal } from "../io/layer/local.js"
import { readRpmdb } from "../io/rpm/rpmdb.js"
import { string } from "../formats/rpm/header.js"
import { T } from "../formats/rpm/tags.js"
import type { BootVersion } from "../io/sysroot/layout.js"
import { deploymentPath } from "../io/sysroot/layout.js"
import { originRefspec, originWithoutTransient } from "../io/sysroot/origin.js"
import { parseLayerState, withLayerState, type LocalPackage } from "../io/sysroot/origin-layers.js"
import { mergeDeploymentFor, sameDeployment } from "../io/sysroot/plan.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { readStagedStateBytes } from "../io/sysroot/staged.js"
import { afterPrepare, defaultStateroot } from "./deploy.js"
import { applyEdit, type LayerEdit } from "./layer-edit.js"
import { assembleStep, assembleUndo } from "./layer-step.js"
import { defineTransaction } from "./runtime/definition.js"
import { TransactionError } from "./runtime/error.js"
import { stepActors } from "./runtime/step.js"
import { probeStage, stagingSteps, stagingUndo } from "./staging-steps.js"
import { probeSwap, refOf, sysrootSteps, sysrootUndo, toBootListEntry } from "./sysroot-steps.js"

/** How the new deployment goes live: staged (booted) or swapped in (unbooted sysroot). */
export interface DeployTail {
  readonly current: ReadonlyArray<BootListEntry>
  readonly live: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion }
  readonly merge?: BootListEntry
  readonly bootedIndex?: number
  readonly prune: boolean
  readonly unstage?: Unstage
}

export interface LayerInput {
  /** Nothing changes (e.g. --idempotent with everything already requested): no step runs. */
  readonly noop: boolean
  readonly layer: LayerData
  readonly stage?: Omit<StageData, "deployment">
  readonly deploy?: DeployTail
  readonly kargs?: string
}

interface LayerContext extends LayerInput {
  readonly layered?: LayeredData
  readonly bootcsum?: string
  readonly list?: ReadonlyArray<BootListEntry>
  readonly swap?: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion }
}

export interface LayerOutput {
  readonly op: string
  readonly changed: boolean
  readonly base: string
  readonly commit?: string
  /** `$stateroot-$checksum.$serial` of the new deployment. */
  readonly deployment?: string
  readonly staged: boolean
  readonly installed: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  readonly replaced: ReadonlyArray<{ readonly new: string; readonly old: string }>
  readonly inactive: ReadonlyArray<string>
}

export const layerSteps = { assemble: assembleStep, prepare: sysrootSteps.prepare, stage: stagingSteps.stage }
export const layerDeploySteps = { assemble: assembleStep, prepare: sysrootSteps.prepare, swap: sysrootSteps.swap, cleanup: sysrootSteps.cleanup }

const request = (c: LayerContext, staged: boolean) => {
  const l = c.layered!
  return {
    stateroot: l.stateroot, checksum: l.commit, serial: l.serial, origin: l.origin,
    ...(staged ? { staged: true as const } : { ...(c.kargs !== undefined ? { kargs: c.kargs } : {}), merge: refOf(l.config) }),
  }
}

const output = ({ context }: { context: LayerContext }): LayerOutput => {
  const l = context.layered
  return {
    op: context.layer.op,
    changed: !context.noop,
    base: context.layer.base,
    staged: context.stage !== undefined,
    installed: l?.installed ?? [],
    removed: l?.removed ?? [],
    replaced: l?.replaced ?? [],
    inactive: l?.inactive ?? [],
    ...(l ? { commit: l.commit } : {}),
    ...(l && (context.bootcsum !== undefined || context.list) ? { deployment: `${l.stateroot}-${l.commit}.${l.serial}` } : {}),
  }
}

export const layerMachine = setup({
  types: { context: {} as LayerContext, input: {} as LayerInput, output: {} as LayerOutput },
  actors: stepActors(layerSteps),
  guards: { noop: ({ context }) => context.noop },
}).createMachine({
  id: "layer",
  context: ({ input }) => input,
  initial: "route",
  states: {
    route: { always: [{ guard: "noop", target: "done" }, { target: "assemble" }] },
    assemble: { invoke: { src: "assemble", input: ({ context }) => context.layer, onDone: { target: "prepare", actions: assign({ layered: ({ event }) => event.output }) } } },
    prepare: {
      invoke: { src: "prepare", input: ({ context }) => request(context, true), onDone: { target: "stage", actions: assign({ bootcsum: ({ event }) => event.output.deployment.bootcsum ?? "" }) } },
    },
    stage: {
      invoke: { src: "stage", input: ({ context }) => ({ ...context.stage!, deployment: { ...refOf(request(context, true)), bootcsum: context.bootcsum ?? "" } }), onDone: "done" },
    },
    done: { type: "final" },
  },
  output,
})

export const layerDeployMachine = setup({
  types: { context: {} as LayerContext, input: {} as LayerInput, output: {} as LayerOutput },
  actors: stepActors(layerDeploySteps),
  guards: { noop: ({ context }) => context.noop, listChanged: ({ context }) => context.swap !== undefined },
}).createMachine({
  id: "layer-deploy",
  context: ({ input }) => input,
  initial: "route",
  states: {
    route: { always: [{ guard: "noop", target: "done" }, { target: "assemble" }] },
    assemble: { invoke: { src: "assemble", input: ({ context }) => context.layer, onDone: { target: "prepare", actions: assign({ layered: ({ event }) => event.output }) } } },
    prepare: {
      invoke: {
        src: "prepare",
        input: ({ context }) => request(context, false),
        onDone: {
          target: "planning",
          actions: assign(({ context, event }) => {
            const d = context.deploy!
            const r = afterPrepare({ ...d, request: { stateroot: context.layered!.stateroot } }, event.output)
            return { list: r.list, ...(r.swap ? { swap: r.swap } : {}) }
          }),
        },
      },
    },
    planning: { always: [{ guard: "listChanged", target: "swap" }, { target: "cleanup" }] },
    swap: {
      invoke: { src: "swap", input: ({ context }) => ({ ...context.swap!, deployments: context.list!, ...(context.deploy!.unstage ? { unstage: context.deploy!.unstage } : {}) }), onDone: "cleanup" },
    },
    cleanup: { invoke: { src: "cleanup", input: ({ context }) => ({ prune: context.deploy!.prune }), onDone: "done" } },
    done: { type: "final" },
  },
  output,
})

export const layerTransaction = defineTransaction({
  kind: "layer",
  machine: layerMachine,
  steps: layerSteps,
  pointOfNoReturn: "DeploymentStaged",
  policy: "abort-or-complete",
  undo: { ...assembleUndo, DeployRequested: sysrootUndo["DeployRequested"]!, ...stagingUndo },
  probe: probeStage,
})

export const layerDeployTransaction = defineTransaction({
  kind: "layer-deploy",
  machine: layerDeployMachine,
  steps: layerDeploySteps,
  pointOfNoReturn: "BootloaderSwapped",
  policy: "abort-or-complete",
  undo: { ...assembleUndo, ...sysrootUndo },
  probe: probeSwap,
})

/** A local RPM argument: a path to an existing `.rpm` file. */
export const isLocalRpm = (arg: string): boolean => arg.endsWith(".rpm") && (arg.includes("/") || existsSync(arg))

export interface LayerOptions {
  readonly edit: LayerEdit
  /** Local RPM files named by the edit, by sha256 (see localPackage). */
  readonly localFiles?: ReadonlyArray<{ readonly sha256: string; readonly path: string }>
  readonly stateroot?: string
  /** The booted system's run directory: stage (as rpm-ostree). Without one: deploy directly (ostree admin deploy). */
  readonly runDir?: string
}

/** Reads a local RPM argument for an edit: its sha256 and NEVRA (bad input fails here, before any transaction). */
export const localPackage = (path: string): LocalPackage & { readonly path: string } => {
  const d = describeLocal(path)
  return { sha256: d.sha256, nevra: d.nevra, path }
}

/** Package names of the base: the base rpmdb copy of a layered deployment, else its rpmdb. */
const baseNames = (root: string): Set<string> => {
  for (const rel of ["usr/lib/sysimage/rpm-ostree-base-db/rpmdb.sqlite", "usr/share/rpm/rpmdb.sqlite"]) {
    const p = join(root, rel)
    if (existsSync(p)) return new Set(readRpmdb(p).map((x) => string(x.header, T.NAME) ?? ""))
  }
  return new Set()
}

/** The `plan` (under the lock): the merge deployment, its origin edited, how the result goes live. */
export const planLayer =
  (o: LayerOptions) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<LayerInput> => {
    const op = o.edit.op.replace("-", " ")
    const state = await loadSysroot({ sysroot, ...(o.runDir ? { runDir: o.runDir } : {}) })
    const current = state.deployments.filter((d) => !d.staged)
    const booted = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
    const bootedIndex = booted ? current.findIndex((d) => sameDeployment(d, booted)) : -1
    const stateroot = o.stateroot ?? defaultStateroot(current, booted)
    const merge = mergeDeploymentFor({ deployments: current, stateroot, ...(bootedIndex >= 0 ? { bootedIndex } : {}) })
    if (!merge) throw new TransactionError({ op, reason: "Invalid", detail: `no deployment of stateroot ${stateroot} to layer on` })
    // A staged deployment is newer than the merge deployment: rpm-ostree edits on top of it too.
    const from = state.staged && o.runDir && state.staged.stateroot === stateroot ? state.staged : merge
    if (!originRefspec(from.origin)) throw new TransactionError({ op, reason: "Invalid", detail: `the deployment ${from.checksum}.${from.serial} has no origin refspec` })
    const before = parseLayerState(from.origin)
    const after = applyEdit(before, o.edit, { names: baseNames(deploymentPath(sysroot, from)) })
    const origin = withLayerState(originWithoutTransient(from.origin), after)
    const base = await baseCommitOf(sysroot, from.checksum)
    const noop = JSON.stringify(after) === JSON.stringify(before)
    const layer: LayerData = {
      op: o.edit.op, stateroot, base, origin, config: refOf(merge),
      localFiles: (o.localFiles ?? []).map((l) => ({ sha256: l.sha256, path: l.path })),
    }
    if (o.runDir) {
      const previous = await readStagedStateBytes(o.runDir)
      return {
        noop, layer,
        stage: {
          runDir: o.runDir,
          merge: { ...refOf(merge), bootcsum: merge.bootcsum },
          ...(previous ? { previous: Buffer.from(previous).toString("base64") } : {}),
          ...(state.staged ? { replaces: refOf(state.staged) } : {}),
        },
      }
    }
    return {
      noop, layer,
      ...(merge.kargs ? { kargs: merge.kargs } : {}),
      deploy: {
        current: current.map(toBootListEntry),
        live: { bootversion: state.bootversion, subbootversion: state.subbootversion },
        merge: toBootListEntry(merge),
        ...(bootedIndex >= 0 ? { bootedIndex } : {}),
        prune: true,
      },
    }
  }
