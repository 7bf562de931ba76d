/**
 * `cleanup` — `ostree admin cleanup` as a transaction: one idempotent step that removes only what
 * cannot boot (other bootversion, unreferenced deployments and boot dirs, stale refs) and prunes.
 * Nothing to undo and nothing that must not run twice, so an interrupted cleanup is resumed.
 */
import { setup } from "xstate"
import { defineTransaction } from "./runtime/definition.js"
import { stepActors } from "./runtime/step.js"
import { sysrootSteps } from "./sysroot-steps.js"

export const cleanupSteps = { cleanup: sysrootSteps.cleanup }

export const cleanupMachine = setup({
  types: { context: {} as { readonly prune: boolean; readonly runDir?: string }, input: {} as { readonly prune?: boolean; readonly runDir?: string } },
  actors: stepActors(cleanupSteps),
}).createMachine({
  id: "cleanup",
  // runDir: the booted system's run directory, so a staged deployment is kept.
  context: ({ input }) => ({ prune: input.prune ?? true, ...(input.runDir ? { runDir: input.runDir } : {}) }),
  initial: "cleanup",
  states: {
    cleanup: { invoke: { src: "cleanup", input: ({ context }) => ({ prune: context.prune, ...(context.runDir ? { runDir: context.runDir } : {}) }), onDone: "done" } },
    done: { type: "final" },
  },
})

export const cleanupTransaction = defineTransaction({
  kind: "cleanup",
  machine: cleanupMachine,
  steps: cleanupSteps,
  pointOfNoReturn: "CleanupDone",
  policy: "resume",
  undo: {},
})
