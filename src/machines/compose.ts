/**
 * `compose tree` as a transaction on a REPOSITORY (not a sysroot): its lock and event log live in
 * the repo (REPO/extensions/strata/{lock,log}, see compose-place.ts).
 *
 *   download ──▶ assemble ──▶ commit ──▶ ref (point of no return: RefMoved) ──▶ cleanup ──▶ done
 *
 * Recovery (abort-or-complete): before RefMoved, the work dir is removed and the objects the
 * commit step wrote that nothing reaches are deleted (commit.ts explains how they are found); the
 * ref is untouched and the downloads stay in the cachedir (verified content: a cache, not
 * garbage). At RefMoveRequested the probe reads the ref. After RefMoved, the work dir goes and
 * the transaction completes. A failing step (a postprocess script, a bad download) is undone
 * the same way and its error reported.
 */
import { assign, setup } from "xstate"
import {
  ComposeCleanupRequested,
  ComposeRequested,
  ComposeWorkdirRemoved,
  CommitRequested,
  CommitWritten,
  PackagesDownloaded,
  RefMoved,
  RefMoveRequested,
  TreeAssembled,
  TreeAssembleRequested,
} from "../events/types/compose.js"
import { assembleEffect, commitEffect, downloadEffect, moveRefEffect, removeWorkdir, type ComposeRequest } from "../io/compose/steps.js"
import { clearStaleStaging, currentRef, readCommitMarker, removeObjectsSince } from "../io/compose/commit.js"
import { defineTransaction, type RecoveryContext } from "./runtime/definition.js"
import { crashPoint } from "./runtime/crash.js"
import { stepActors, txnStep } from "./runtime/step.js"

/** `run`, then the step's crash point (`STRATA_CRASH_AT=step:NAME`: killed after the effect, before its fact). */
const thenCrashPoint = <I, O>(run: (input: I) => Promise<O>, point: string) => async (input: I): Promise<O> => {
  const out = await run(input)
  crashPoint(point)
  return out
}

export const composeSteps = {
  download: txnStep({ intent: ComposeRequested, fact: PackagesDownloaded, run: thenCrashPoint(downloadEffect, "step:downloaded") }),
  assemble: txnStep({ intent: TreeAssembleRequested, fact: TreeAssembled, run: thenCrashPoint(assembleEffect, "step:assembled") }),
  commit: txnStep({ intent: CommitRequested, fact: CommitWritten, run: thenCrashPoint(commitEffect, "step:committed") }),
  ref: txnStep({ intent: RefMoveRequested, fact: RefMoved, run: (m) => moveRefEffect(m) }),
  cleanup: txnStep({ intent: ComposeCleanupRequested, fact: ComposeWorkdirRemoved, run: (w) => removeWorkdir(w) }),
}

export interface ComposeOutput {
  readonly commit: string
  readonly parent: string
  readonly ref: string
  readonly version?: string
  readonly packages: number
  readonly kver?: string
}

interface ComposeContext {
  readonly request: ComposeRequest
  readonly kver?: string
  readonly packages?: number
  readonly commit?: string
}

export const composeMachine = setup({
  types: { context: {} as ComposeContext, input: {} as ComposeRequest, output: {} as ComposeOutput },
  actors: stepActors(composeSteps),
  guards: { unchanged: ({ context }) => context.request.unchanged === true },
}).createMachine({
  id: "compose",
  context: ({ input }) => ({ request: input }),
  initial: "route",
  states: {
    // nothing to do when the plan found the inputs already committed (no step runs)
    route: { always: [{ guard: "unchanged", target: "done" }, { target: "download" }] },
    download: { invoke: { src: "download", input: ({ context }) => context.request, onDone: "assemble" } },
    assemble: {
      invoke: {
        src: "assemble",
        input: ({ context }) => context.request,
        onDone: { target: "commit", actions: assign({ kver: ({ event }) => event.output.kver, packages: ({ event }) => event.output.packages }) },
      },
    },
    commit: {
      invoke: {
        src: "commit",
        input: ({ context }) => ({ ...context.request, ...(context.kver ? { kver: context.kver } : {}) }),
        onDone: { target: "ref", actions: assign({ commit: ({ event }) => event.output.commit }) },
      },
    },
    ref: {
      invoke: {
        src: "ref",
        input: ({ context }) => ({
          repo: context.request.repo, ref: context.request.ref, from: context.request.parent, to: context.commit!,
          ...(context.request.version !== undefined ? { version: context.request.version } : {}),
        }),
        onDone: "cleanup",
      },
    },
    cleanup: { invoke: { src: "cleanup", input: ({ context }) => ({ workdir: context.request.workdir }), onDone: "done" } },
    done: { type: "final" },
  },
  output: ({ context }) => ({
    commit: context.commit ?? context.request.parent,
    parent: context.request.parent,
    ref: context.request.ref,
    ...(context.request.version !== undefined ? { version: context.request.version } : {}),
    packages: context.packages ?? 0,
    ...(context.kver ? { kver: context.kver } : {}),
  }),
})

const requestOf = (ctx: RecoveryContext): ComposeRequest | undefined => {
  const first = ctx.steps.find((s) => s.intent?.type === ComposeRequested.type)?.intent
  if (!first) return undefined
  const { snapshot: _, ...r } = first.data as ComposeRequest & { snapshot?: unknown }
  return r
}

/** How TransactionAborted.undone names the objects removed (the same words on a re-run). */
const OBJECTS_UNDONE = "objects written by the compose that nothing reaches"

export const composeTransaction = defineTransaction({
  kind: "compose",
  machine: composeMachine,
  steps: composeSteps,
  pointOfNoReturn: "RefMoved",
  policy: "abort-or-complete",
  undo: {
    TreeAssembleRequested: async (e) => {
      const { workdir } = e.data as ComposeRequest
      await removeWorkdir({ workdir })
      return [workdir]
    },
    CommitRequested: async (e) => {
      const r = e.data as ComposeRequest
      // the marker exists only if the step got as far as writing objects
      const since = readCommitMarker(r.workdir)
      if (since) await removeObjectsSince(r.repo, since)
      await clearStaleStaging(r.repo)
      await removeWorkdir({ workdir: r.workdir })
      return [OBJECTS_UNDONE, r.workdir]
    },
    CommitWritten: async (e, ctx) => {
      const f = e.data as { since: string; workdir: string }
      const repo = requestOf(ctx)?.repo ?? ctx.sysroot
      await removeObjectsSince(repo, f.since)
      await clearStaleStaging(repo)
      await removeWorkdir({ workdir: f.workdir })
      return [OBJECTS_UNDONE, f.workdir]
    },
  },
  probe: async (ctx) => {
    const intent = ctx.steps.at(-1)?.intent
    const m = intent?.data as { repo: string; ref: string; to: string } | undefined
    if (!m) return "before"
    return (await currentRef(m.repo, m.ref)) === m.to ? "after" : "before"
  },
  complete: async (ctx) => {
    // after the ref moved: the work dir is all that is left to remove
    const r = requestOf(ctx)
    if (r) await removeWorkdir({ workdir: r.workdir })
    const last = ctx.steps.at(-1)
    return last?.name === "cleanup" && last.intent && !last.fact && r ? [ComposeWorkdirRemoved.make({ workdir: r.workdir })] : []
  },
})

