/**
 * `upgrade` — rpm-ostree's upgrade, `deploy VERSION|CHECKSUM` and `rebase [REMOTE:]REF` as one
 * transaction kind: pull the origin's commit into the sysroot repo, then **stage** it (the
 * deployment is written at once with no boot entry; `strata admin finalize-staged` — at shutdown,
 * or straight away for `--reboot` — puts it in the boot list).
 *
 *   pull ──▶ (something to deploy, and not check/preview/download-only?) ──▶ prepare ──▶ stage ──▶ done
 *                └──────────────────────────── no ─────────────────────────────────────────────┘
 *
 * Recovery (abort-or-complete, point of no return DeploymentStaged, probed from the state file):
 * before it, the deployment directory is removed and the state file it replaced is put back;
 * the pull is not undone — its objects are content-addressed and the remote ref only moves once
 * the commit is complete, as after `ostree pull`, so a re-run resumes from what it fetched.
 * After it, the staged deployment stays staged: a forced power-off before finalization loses
 * only /run's state file, which reconciliation writes again from the log (DeploymentStaged).
 */
import { Buffer } from "node:buffer"
import { assign, setup } from "xstate"
import type { StageData } from "../events/types/staging.js"
import type { PullData, PulledData } from "../events/types/pull.js"
import { originRefspec } from "../io/sysroot/origin.js"
import { mergeDeploymentFor, sameDeployment } from "../io/sysroot/plan.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { readStagedStateBytes } from "../io/sysroot/staged.js"
import { defaultStateroot } from "./deploy.js"
import { pullStep } from "./pull-step.js"
import { defineTransaction } from "./runtime/definition.js"
import { TransactionError } from "./runtime/error.js"
import { stepActors } from "./runtime/step.js"
import { probeStage, stagingSteps, stagingUndo } from "./staging-steps.js"
import { refOf, sysrootSteps, sysrootUndo, toBootListEntry } from "./sysroot-steps.js"
import type { BootListEntry, DeploymentRef } from "../events/types/deployment.js"
import type { LayerData, LayeredData } from "../events/types/layer.js"
import type { BootVersion } from "../io/sysroot/layout.js"
import { baseCommitOf } from "../io/layer/build.js"
import { hasLayerState, parseLayerState } from "../io/sysroot/origin-layers.js"
import type { DeployTail } from "./layer.js"
import { assembleStep, assembleUndo } from "./layer-step.js"
import { formatRefspec, originOverrideCommit, parseRefspec, updatedOrigin } from "./upgrade-origin.js"

/**
 * check: is there an update; preview: which packages it changes (both pull only the commit, its
 * detached metadata and so its `rpmostree.rpmdb.pkglist`, never the tree); download: pull only;
 * stage: pull and stage.
 */
export type UpgradeAction = "check" | "preview" | "download" | "stage"

export interface UpgradeInput {
  readonly action: UpgradeAction
  readonly pull: PullData
  /** The merge deployment's origin, which the new one is made from. */
  readonly baseOrigin: string
  /** deploy: record the commit as `override-commit` in the origin. */
  readonly overrideCommit: boolean
  /** The state file to write, less the deployment (known once pulled and written). Absent when not staging. */
  readonly stage?: Omit<StageData, "deployment">
  /** The origin has layered packages/overrides: they are re-applied on the new base (assemble step). */
  readonly layered?: boolean
  /** The merge deployment (its /etc has the repositories layering reads). */
  readonly config?: DeploymentRef
  /** An unbooted sysroot (upgrade-deploy): how the new deployment is swapped into the boot list. */
  readonly deploy?: DeployTail
  readonly kargs?: string
}

export interface UpgradeContext extends UpgradeInput {
  readonly pulled?: PulledData
  readonly layeredCommit?: LayeredData
  readonly bootcsum?: string
  readonly list?: ReadonlyArray<BootListEntry>
  readonly swap?: { readonly bootversion: BootVersion; readonly subbootversion: BootVersion }
}

export interface UpgradeOutput {
  readonly action: UpgradeAction
  readonly from: string
  readonly target?: string
  readonly version?: string
  readonly timestamp?: string
  /** There is something to deploy. */
  readonly changed: boolean
  /** `$stateroot-$checksum.$serial`, when one was staged (or deployed). */
  readonly deployment?: string
  /** The client-layer commit built on the target (the origin has layered packages). */
  readonly layered?: string
}

export const upgradeSteps = { pull: pullStep, assemble: assembleStep, prepare: sysrootSteps.prepare, stage: stagingSteps.stage }

/** The new deployment's origin: the merge deployment's, pointed at the pulled refspec (layering state kept). */
const newOrigin = (c: UpgradeContext): string => {
  const p = c.pulled!
  return updatedOrigin(c.baseOrigin, formatRefspec(p.remote, p.ref), c.overrideCommit ? p.target : undefined)
}

/** The layers re-applied on the pulled base. */
export const assembleInput = (c: UpgradeContext): LayerData => ({
  op: "upgrade", stateroot: c.pulled!.stateroot, base: c.pulled!.target, origin: newOrigin(c), config: c.config!, localFiles: [],
})

/** What prepare writes: the pulled commit, or the layered commit built on it. */
export const upgradeRequest = (c: UpgradeContext, staged: boolean) => {
  const p = c.pulled!
  const l = c.layeredCommit
  const id = { stateroot: p.stateroot, checksum: l ? l.commit : p.target, serial: l ? l.serial : p.serial, origin: newOrigin(c) }
  return staged ? { ...id, staged: true as const } : { ...id, ...(c.kargs !== undefined ? { kargs: c.kargs } : {}), ...(c.config ? { merge: c.config } : {}) }
}
const request = (c: UpgradeContext) => upgradeRequest(c, true)

export const upgradeGuards = {
  deploys: ({ context }: { context: UpgradeContext }) => context.action === "stage" && (context.stage !== undefined || context.deploy !== undefined) && context.pulled?.changed === true,
  layers: ({ context }: { context: UpgradeContext }) => context.layered === true,
}

export const upgradeOutput = ({ context }: { context: UpgradeContext }): UpgradeOutput => {
  const p = context.pulled
  const written = (context.bootcsum !== undefined || context.list !== undefined) && p
  const id = p ? upgradeRequest(context, true) : undefined
  return {
    action: context.action,
    from: context.pull.from,
    changed: p?.changed ?? false,
    ...(p ? { target: p.target, timestamp: p.timestamp, ...(p.targetVersion !== undefined ? { version: p.targetVersion } : {}) } : {}),
    ...(context.layeredCommit ? { layered: context.layeredCommit.commit } : {}),
    ...(written && id ? { deployment: `${id.stateroot}-${id.checksum}.${id.serial}` } : {}),
  }
}

export const upgradeMachine = setup({
  types: { context: {} as UpgradeContext, input: {} as UpgradeInput, output: {} as UpgradeOutput },
  actors: stepActors(upgradeSteps),
  guards: upgradeGuards,
}).createMachine({
  id: "upgrade",
  context: ({ input }) => input,
  initial: "pull",
  states: {
    pull: { invoke: { src: "pull", input: ({ context }) => context.pull, onDone: { target: "route", actions: assign({ pulled: ({ event }) => event.output }) } } },
    route: { always: [{ guard: "deploys", target: "layers" }, { target: "done" }] },
    layers: { always: [{ guard: "layers", target: "assemble" }, { target: "prepare" }] },
    assemble: { invoke: { src: "assemble", input: ({ context }) => assembleInput(context), onDone: { target: "prepare", actions: assign({ layeredCommit: ({ event }) => event.output }) } } },
    prepare: {
      invoke: { src: "prepare", input: ({ context }) => request(context), onDone: { target: "stage", actions: assign({ bootcsum: ({ event }) => event.output.deployment.bootcsum ?? "" }) } },
    },
    stage: {
      invoke: { src: "stage", input: ({ context }) => ({ ...context.stage!, deployment: { ...refOf(request(context)), bootcsum: context.bootcsum ?? "" } }), onDone: "done" },
    },
    done: { type: "final" },
  },
  output: upgradeOutput,
})

export const upgradeTransaction = defineTransaction({
  kind: "upgrade",
  machine: upgradeMachine,
  steps: upgradeSteps,
  pointOfNoReturn: "DeploymentStaged",
  policy: "abort-or-complete",
  undo: { ...assembleUndo, DeployRequested: sysrootUndo["DeployRequested"]!, ...stagingUndo },
  probe: probeStage,
})

export interface UpgradeOptions {
  readonly action: UpgradeAction
  /** upgrade (default): the origin's refspec; rebase: a new one; deploy: a commit or version of the origin's ref. */
  readonly mode?: "upgrade" | "rebase" | "deploy"
  /** rebase: `[REMOTE:]REF` (no remote: keep the current one). */
  readonly refspec?: string
  /** deploy: a 64-hex checksum or a version. */
  readonly revision?: string
  readonly allowDowngrade?: boolean
  readonly stateroot?: string
  /** The booted system's run directory (resolveRunDir): staging needs one, as in rpm-ostree. */
  readonly runDir?: string
}

/** The `plan` (under the lock): the merge deployment, its refspec and commit, the state file a stage replaces. */
export const planUpgrade =
  (o: UpgradeOptions) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<UpgradeInput> => {
    const mode = o.mode ?? "upgrade"
    const op = mode
    const state = await loadSysroot({ sysroot, ...(o.runDir ? { runDir: o.runDir } : {}) })
    const current = state.deployments.filter((d) => !d.staged)
    const booted = state.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
    const bootedIndex = booted ? current.findIndex((d) => sameDeployment(d, booted)) : -1
    const stateroot = o.stateroot ?? defaultStateroot(current, booted)
    const merge = mergeDeploymentFor({ deployments: current, stateroot, ...(bootedIndex >= 0 ? { bootedIndex } : {}) })
    if (!merge) throw new TransactionError({ op, reason: "Invalid", detail: `no deployment of stateroot ${stateroot} to ${mode}` })
    const currentRefspec = originRefspec(merge.origin)
    if (!currentRefspec) throw new TransactionError({ op, reason: "Invalid", detail: `the deployment ${merge.checksum}.${merge.serial} has no origin refspec` })
    const cur = parseRefspec(currentRefspec)
    let next = cur
    if (mode === "rebase") {
      if (!o.refspec) throw new TransactionError({ op, reason: "Invalid", detail: "missing REFSPEC" })
      const r = o.refspec.includes(":") ? parseRefspec(o.refspec) : { remote: cur.remote, ref: o.refspec }
      next = r
    }
    const rev = mode === "deploy" ? o.revision : undefined
    if (mode === "deploy" && !rev) throw new TransactionError({ op, reason: "Invalid", detail: "missing VERSION or CHECKSUM" })
    const isChecksum = rev !== undefined && /^[0-9a-f]{64}$/.test(rev)
    const pull: PullData = {
      remote: next.remote,
      ref: next.ref,
      ...(rev !== undefined ? (isChecksum ? { commit: rev } : { version: rev }) : {}),
      // a layered deployment is measured by its base: that is what the remote moves
      from: await baseCommitOf(sysroot, merge.checksum),
      stateroot,
      // rpm-ostree: deploy and rebase pick their commit on purpose; only upgrade refuses going back.
      allowDowngrade: mode !== "upgrade" || !!o.allowDowngrade,
      metadataOnly: o.action === "check" || o.action === "preview",
      // A rebase deploys even the same commit (the origin changes); so does leaving a deployed override.
      force: (mode === "rebase" && formatRefspec(next.remote, next.ref) !== currentRefspec) || (mode === "upgrade" && originOverrideCommit(merge.origin) !== undefined),
    }
    let stage: UpgradeInput["stage"]
    if (o.action === "stage" && o.runDir) {
      const previous = await readStagedStateBytes(o.runDir)
      stage = {
        runDir: o.runDir,
        merge: { ...refOf(merge), bootcsum: merge.bootcsum },
        ...(previous ? { previous: Buffer.from(previous).toString("base64") } : {}),
        ...(state.staged ? { replaces: refOf(state.staged) } : {}),
      }
    }
    // an unbooted sysroot: deploy directly, as ostree admin deploy does (upgrade-deploy)
    const deploy: DeployTail | undefined = o.action === "stage" && !o.runDir
      ? {
          current: current.map(toBootListEntry),
          live: { bootversion: state.bootversion, subbootversion: state.subbootversion },
          merge: toBootListEntry(merge),
          ...(bootedIndex >= 0 ? { bootedIndex } : {}),
          prune: true,
        }
      : undefined
    return {
      action: o.action, pull, baseOrigin: merge.origin, overrideCommit: mode === "deploy",
      layered: hasLayerState(parseLayerState(merge.origin)), config: refOf(merge),
      ...(stage ? { stage } : {}),
      ...(deploy ? { deploy, ...(merge.kargs ? { kargs: merge.kargs } : {}) } : {}),
    }
  }
