/**
 * `pin` — `ostree admin pin [--unpin] INDEX…`: set or clear `[libostree-transient] pinned` in each
 * deployment's origin, one step per deployment. Pinning touches no boot entry.
 *
 *   next ──▶ pin(target i) ──▶ next … ──▶ done
 *
 * Every step is idempotent (setPinned reads the origin first), so an interrupted pin is resumed
 * from its last snapshot; undo (the fallback) writes the recorded previous state back.
 */
import { assign, setup } from "xstate"
import { PinChanged, PinRequested, type DeploymentRef } from "../events/types/deployment.js"
import { setPinned } from "../io/sysroot/pin.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { crashPoint } from "./runtime/crash.js"
import { defineTransaction } from "./runtime/definition.js"
import { TransactionError } from "./runtime/error.js"
import { stepActors, txnStep } from "./runtime/step.js"
import { refOf } from "./sysroot-steps.js"

export interface PinTarget extends DeploymentRef {
  readonly pinned: boolean
  readonly previous: boolean
}

export interface PinInput {
  readonly targets: ReadonlyArray<PinTarget & { readonly index: number }>
  /** Indices already in the requested state (nothing to do; reported as ostree does). */
  readonly already: ReadonlyArray<number>
}

export interface PinOutput {
  readonly changed: ReadonlyArray<{ readonly index: number; readonly pinned: boolean }>
  readonly already: ReadonlyArray<number>
}

export const pinSteps = {
  pin: txnStep({
    intent: PinRequested,
    fact: PinChanged,
    run: async (req, { sysroot }) => {
      await setPinned({ sysroot, deployment: refOf(req), pinned: req.pinned })
      crashPoint("step:pinned")
      return req
    },
  }),
}

export const pinMachine = setup({
  types: { context: {} as PinInput & { readonly i: number }, input: {} as PinInput, output: {} as PinOutput },
  actors: stepActors(pinSteps),
  guards: { more: ({ context }) => context.i < context.targets.length },
}).createMachine({
  id: "pin",
  context: ({ input }) => ({ ...input, i: 0 }),
  initial: "next",
  states: {
    next: { always: [{ guard: "more", target: "pin" }, { target: "done" }] },
    pin: {
      invoke: {
        src: "pin",
        input: ({ context }) => {
          const t = context.targets[context.i]!
          return { ...refOf(t), pinned: t.pinned, previous: t.previous }
        },
        onDone: { target: "next", actions: assign({ i: ({ context }) => context.i + 1 }) },
      },
    },
    done: { type: "final" },
  },
  output: ({ context }) => ({ changed: context.targets.map((t) => ({ index: t.index, pinned: t.pinned })), already: context.already }),
})

export const pinTransaction = defineTransaction({
  kind: "pin",
  machine: pinMachine,
  steps: pinSteps,
  pointOfNoReturn: "PinChanged",
  policy: "resume",
  undo: {
    PinRequested: async (e, ctx) => {
      const req = e.data as PinTarget
      await setPinned({ sysroot: ctx.sysroot, deployment: refOf(req), pinned: req.previous })
      return [`${req.checksum}.${req.serial}.origin`]
    },
  },
})

/** The `plan`: indices into the list `ostree admin status` shows (a staged deployment first). */
export const planPin =
  (o: { readonly indices: ReadonlyArray<number>; readonly unpin?: boolean; readonly runDir?: string }) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<PinInput> => {
    const state = await loadSysroot({ sysroot, ...(o.runDir ? { runDir: o.runDir } : {}) })
    const pinned = !o.unpin
    const targets: Array<PinTarget & { index: number }> = []
    const already: number[] = []
    for (const index of o.indices) {
      const d = state.deployments[index]
      if (!d) throw new TransactionError({ op: "pin", reason: "NotFound", detail: `invalid index ${index} (${state.deployments.length} deployments)` })
      if (d.staged) throw new TransactionError({ op: "pin", reason: "Invalid", detail: "cannot pin the staged deployment" })
      if (d.pinned === pinned || targets.some((t) => t.index === index)) already.push(index)
      else targets.push({ ...refOf(d), index, pinned, previous: d.pinned })
    }
    return { targets, already }
  }
