/**
 * `kargs-edit` — `ostree admin kargs edit-in-place --append-if-missing=ARG…`: rewrite the kernel
 * arguments of every deployment's live boot entry (and of the staged deployment's state file) in
 * place, one step per deployment, without a new bootversion.
 *
 *   next ──▶ kargs(target i) ──▶ next … ──▶ done
 *
 * Each step writes a given options line atomically (idempotent), so an interrupted edit is
 * resumed from its last snapshot; undo (the fallback) writes the recorded previous line back.
 */
import { assign, setup } from "xstate"
import { KargsChanged, KargsChangeRequested, type DeploymentRef } from "../events/types/deployment.js"
import { appendKargIfKeyMissing, formatKargs, parseKargs } from "../io/sysroot/kargs.js"
import { setKargsInPlace } from "../io/sysroot/kargs-in-place.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { crashPoint } from "./runtime/crash.js"
import { defineTransaction } from "./runtime/definition.js"
import { stepActors, txnStep } from "./runtime/step.js"
import { refOf } from "./sysroot-steps.js"

export interface KargsTarget extends DeploymentRef {
  readonly kargs: string
  readonly previous: string
  readonly runDir?: string
}

export interface KargsEditInput {
  readonly targets: ReadonlyArray<KargsTarget>
}

export const kargsSteps = {
  kargs: txnStep({
    intent: KargsChangeRequested,
    fact: KargsChanged,
    run: async (req, { sysroot }) => {
      await setKargsInPlace({ sysroot, deployment: refOf(req), kargs: req.kargs, ...(req.runDir !== undefined ? { runDir: req.runDir } : {}) })
      crashPoint("step:kargs-written")
      return req
    },
  }),
}

const idOf = (d: DeploymentRef): string => `${d.stateroot}-${d.checksum}.${d.serial}`

export const kargsEditMachine = setup({
  types: { context: {} as KargsEditInput & { readonly i: number }, input: {} as KargsEditInput, output: {} as { readonly changed: ReadonlyArray<string> } },
  actors: stepActors(kargsSteps),
  guards: { more: ({ context }) => context.i < context.targets.length },
}).createMachine({
  id: "kargs-edit",
  context: ({ input }) => ({ ...input, i: 0 }),
  initial: "next",
  states: {
    next: { always: [{ guard: "more", target: "kargs" }, { target: "done" }] },
    kargs: {
      invoke: { src: "kargs", input: ({ context }) => context.targets[context.i]!, onDone: { target: "next", actions: assign({ i: ({ context }) => context.i + 1 }) } },
    },
    done: { type: "final" },
  },
  output: ({ context }) => ({ changed: context.targets.map(idOf) }),
})

export const kargsEditTransaction = defineTransaction({
  kind: "kargs-edit",
  machine: kargsEditMachine,
  steps: kargsSteps,
  pointOfNoReturn: "KargsChanged",
  policy: "resume",
  undo: {
    KargsChangeRequested: async (e, ctx) => {
      const req = e.data as KargsTarget
      await setKargsInPlace({ sysroot: ctx.sysroot, deployment: refOf(req), kargs: req.previous, ...(req.runDir !== undefined ? { runDir: req.runDir } : {}) })
      return [`kargs of ${idOf(req)}`]
    },
  },
})

/** The `plan`: each deployment's new options (ostree_kernel_args_append_if_missing), unchanged ones left out. */
export const planKargsEdit =
  (o: { readonly appendIfMissing: ReadonlyArray<string>; readonly runDir?: string }) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<KargsEditInput> => {
    const state = await loadSysroot({ sysroot, ...(o.runDir ? { runDir: o.runDir } : {}) })
    const targets: KargsTarget[] = []
    for (const d of state.deployments) {
      let k = parseKargs(d.kargs)
      for (const a of o.appendIfMissing) k = appendKargIfKeyMissing(k, a)
      const kargs = formatKargs(k)
      if (kargs !== d.kargs) targets.push({ ...refOf(d), kargs, previous: d.kargs, ...(d.staged && o.runDir ? { runDir: o.runDir } : {}) })
    }
    return { targets }
  }
