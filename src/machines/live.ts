/**
 * `apply-live` — rpm-ostree's `apply-live` (and the live half of `install --apply-live`): the
 * difference between the commit the running /usr shows and a target commit (the pending
 * deployment's, `--target REV`, or with `--reset` the booted one) applied to the running system.
 *
 *   (unlock) ──▶ apply ──▶ done        (nothing to change: straight to done)
 *
 * - unlock (first apply of this boot): a transient overlay on `$root/usr`, upper dir under the run
 *   dir; ostree's `unlocked` state = "transient". The booted deployment's directory is its
 *   lower layer and is never written.
 * - apply: in-progress marker (rpmostree/live-apply-inprogress + stamp), the /usr changes written
 *   through the overlay, new /etc files copied, then rpmostree/live-apply = target and the
 *   marker cleared. Point of no return: LiveApplied.
 *
 * Recovery (abort-or-complete): an interrupted apply is undone — /usr put back (this transaction's
 * overlay unmounted, which drops every change; or, on an overlay of an earlier apply, the
 * source's files written back), the /etc files it added removed, the live state as before. At the
 * point of no return the probe reads the refs: live-apply = target and no marker → done. After a
 * reboot (boot id changed) the overlay is gone with the boot: undo only clears the live refs.
 *
 * Refused in the plan (nothing mounted or written): no booted deployment, no target, an /usr
 * overlay strata did not make, and — without `allowReplacement` — a change that removes or
 * changes packages or removes /usr files (changes.ts names them).
 */
import { existsSync } from "node:fs"
import { rm } from "node:fs/promises"
import { setup } from "xstate"
import { LiveApplied, LiveApplyRequested, LiveUnlocked, LiveUnlockRequested, type LiveApplyData, type LiveUnlockData } from "../events/types/live.js"
import { pkgNevra } from "../formats/rpmostree/pkglist.js"
import { addEtcFiles, applyUsrChanges, removeEtcFiles } from "../io/live/apply.js"
import { liveChanges, replacementNeeded } from "../io/live/changes.js"
import { isOurOverlay, mountAt, mountOverlay, remount, unmountOverlay } from "../io/live/overlay.js"
import { bootId, liveRoot, overlayDir, readLiveState, readUnlocked, writeLiveState, writeUnlocked } from "../io/live/state.js"
import { openRepo } from "../io/repo/repo.js"
import { revParse } from "../io/repo/rev.js"
import { repoPath } from "../io/sysroot/layout.js"
import { loadSysroot } from "../io/sysroot/read-state.js"
import { crashPoint } from "./runtime/crash.js"
import { defineTransaction, type RecoveryContext, type Side, type UndoFn } from "./runtime/definition.js"
import { TransactionError } from "./runtime/error.js"
import { stepActors, txnStep } from "./runtime/step.js"

const usrOf = (root: string): string => (root === "/" ? "/usr" : `${root}/usr`)

export const liveSteps = {
  unlock: txnStep({
    intent: LiveUnlockRequested,
    fact: LiveUnlocked,
    run: async (req: LiveUnlockData) => {
      await mountOverlay(usrOf(req.root), req.dir)
      crashPoint("step:live-mounted")
      await writeUnlocked(req.runDir, req.deployment, "transient")
      return req
    },
  }),
  apply: txnStep({
    intent: LiveApplyRequested,
    fact: LiveApplied,
    run: async (req: LiveApplyData, { sysroot }) => {
      const repo = await openRepo(repoPath(sysroot))
      const usr = usrOf(req.root)
      await writeLiveState(repo, req.runDir, req.deployment, { ...(req.previousLive ? { commit: req.previousLive } : {}), inprogress: req.target })
      const changes = await liveChanges(repo, req.source, req.target)
      await remount(usr, "rw")
      await applyUsrChanges({ repo, commit: req.target, root: req.root, changes: changes.usr, onHalf: () => crashPoint("step:live-half") })
      await addEtcFiles({ repo, commit: req.target, root: req.root, etcPaths: req.etcAdded })
      await remount(usr, "ro")
      crashPoint("step:live-written")
      await writeLiveState(repo, req.runDir, req.deployment, { commit: req.target })
      return { ...req, added: changes.usr.added.length, changed: changes.usr.changed.length, removed: changes.usr.removed.length }
    },
  }),
}

export interface ApplyLiveInput {
  readonly unlock?: LiveUnlockData
  /** Absent: /usr already shows the target. */
  readonly apply?: LiveApplyData
}

export interface ApplyLiveOutput {
  readonly changed: boolean
  readonly source: string
  readonly target: string
  readonly packages: { readonly added: string[]; readonly removed: string[]; readonly changed: string[] }
}

interface Ctx extends ApplyLiveInput {
  readonly output: ApplyLiveOutput
}

const liveMachine = setup({
  types: { context: {} as Ctx, input: {} as Ctx, output: {} as ApplyLiveOutput },
  actors: stepActors(liveSteps),
  guards: { needsUnlock: ({ context }) => context.unlock !== undefined, hasChanges: ({ context }) => context.apply !== undefined },
}).createMachine({
  id: "apply-live",
  context: ({ input }) => input,
  initial: "start",
  states: {
    start: { always: [{ guard: "needsUnlock", target: "unlock" }, { guard: "hasChanges", target: "apply" }, { target: "done" }] },
    unlock: { invoke: { src: "unlock", input: ({ context }) => context.unlock!, onDone: "apply" } },
    apply: { invoke: { src: "apply", input: ({ context }) => context.apply!, onDone: "done" } },
    done: { type: "final" },
  },
  output: ({ context }) => context.output,
})

const sameBoot = (recorded: string): boolean => recorded === bootId()

const applyIntent = (ctx: RecoveryContext): LiveApplyData | undefined =>
  ctx.steps.find((s) => s.intent?.type === LiveApplyRequested.type)?.intent?.data as LiveApplyData | undefined

const liveUndo: Record<string, UndoFn> = {
  LiveApplyRequested: async (e, ctx) => {
    const req = e.data as LiveApplyData
    const repo = await openRepo(repoPath(ctx.sysroot))
    const undone: string[] = []
    if (sameBoot(req.bootId)) {
      const usr = usrOf(req.root)
      // On this transaction's own overlay the unlock's undo (next) unmounts it, dropping every change.
      if (!req.unlockedHere && isOurOverlay(await mountAt(usr), overlayDir(req.runDir, req.deployment))) {
        const back = await liveChanges(repo, req.target, req.source)
        await remount(usr, "rw")
        await applyUsrChanges({ repo, commit: req.source, root: req.root, changes: back.usr })
        await remount(usr, "ro")
      }
      undone.push(`${usr} (back to ${req.source})`, ...removeEtcFiles(req.root, req.etcAdded))
      await writeLiveState(repo, req.runDir, req.deployment, req.previousLive ? { commit: req.previousLive } : {})
    } else {
      // Rebooted: no overlay, no stamp; the refs alone would name a state that is gone.
      await writeLiveState(repo, req.runDir, req.deployment, {})
    }
    return undone
  },
  LiveUnlockRequested: async (e) => {
    const req = e.data as LiveUnlockData
    if (sameBoot(req.bootId)) {
      await unmountOverlay(usrOf(req.root), req.dir)
      await rm(req.dir, { recursive: true, force: true })
      await writeUnlocked(req.runDir, req.deployment, undefined)
    }
    return [`overlay on ${usrOf(req.root)}`, req.dir]
  },
}

/** At LiveApplied: the refs say the target is live and nothing is in progress → it finished. */
const probeLive = async (ctx: RecoveryContext): Promise<Side> => {
  const req = applyIntent(ctx)
  if (!req || !sameBoot(req.bootId)) return "before"
  const s = await readLiveState(await openRepo(repoPath(ctx.sysroot)), req.runDir, req.deployment)
  return s?.commit === req.target && !s.inprogress ? "after" : "before"
}

export const applyLiveTransaction = defineTransaction({
  kind: "apply-live",
  machine: liveMachine,
  steps: liveSteps,
  pointOfNoReturn: "LiveApplied",
  policy: "abort-or-complete",
  undo: { ...liveUndo, LiveUnlocked: liveUndo["LiveUnlockRequested"]! },
  probe: probeLive,
})

export interface ApplyLiveOptions {
  readonly runDir?: string
  /** A commit (or ref) to apply instead of the pending deployment's. */
  readonly target?: string
  /** Back to the booted commit. */
  readonly reset?: boolean
  /** Allow removing or changing packages and files (default: additions only). */
  readonly allowReplacement?: boolean
}

const refuse = (detail: string, reason: "Invalid" | "NotFound" = "Invalid"): TransactionError => new TransactionError({ op: "apply-live", reason, detail })

/** The `plan` (under the lock): every refusal happens here, before anything is mounted or written. */
export const planApplyLive =
  (o: ApplyLiveOptions) =>
  async ({ sysroot }: { readonly sysroot: string }): Promise<Ctx> => {
    if (o.target !== undefined && o.reset) throw refuse("--target and --reset exclude each other")
    const state = o.runDir ? await loadSysroot({ sysroot, runDir: o.runDir }) : undefined
    const booted = state?.bootedIndex !== undefined ? state.deployments[state.bootedIndex] : undefined
    if (!o.runDir || !state || !booted) {
      throw refuse(`apply-live needs a booted system; ${sysroot} is not booted (${o.runDir === undefined ? "no run dir with ostree-booted" : "no deployment of it is the running /"})`)
    }
    const runDir = o.runDir
    const repo = await openRepo(repoPath(sysroot))
    const root = liveRoot()
    const deployment = { stateroot: booted.stateroot, checksum: booted.checksum, serial: booted.serial }
    const dir = overlayDir(runDir, deployment)
    const mounted = isOurOverlay(await mountAt(usrOf(root)), dir)
    const unlocked = await readUnlocked(runDir, deployment)
    if (!mounted && unlocked !== "none") throw refuse(`/usr of the booted deployment is already unlocked (${unlocked}) by something other than apply-live`)
    const live = mounted ? await readLiveState(repo, runDir, deployment) : undefined
    let target: string
    if (o.target !== undefined) target = await revParse(repo, o.target).catch(() => { throw refuse(`no such commit or ref "${o.target}"`, "NotFound") })
    else if (o.reset) target = booted.checksum
    else {
      const pending = state.deployments.find((d) => d.stateroot === booted.stateroot)
      if (!pending || pending.index === booted.index) throw refuse("no target commit given and no pending deployment (install or upgrade first, or use --target)")
      target = pending.checksum
    }
    if (live?.inprogress && live.inprogress !== target) throw refuse(`previously interrupted while targeting commit ${live.inprogress}, cannot change the target to ${target}`)
    const source = live?.commit ?? booted.checksum
    const base = { deployment, root, runDir, bootId: bootId() }
    const changes = await liveChanges(repo, source, target)
    const why = o.allowReplacement ? undefined : replacementNeeded(changes)
    if (why) throw refuse(why)
    const nothing = changes.usr.added.length + changes.usr.changed.length + changes.usr.removed.length === 0 && changes.etcAdded.length === 0
    const pk = changes.packages
    const output: ApplyLiveOutput = {
      changed: source !== target && !nothing,
      source,
      target,
      packages: {
        added: pk?.added.map(pkgNevra) ?? [],
        removed: pk?.removed.map(pkgNevra) ?? [],
        changed: pk?.modified.map((m) => `${pkgNevra(m.from)} -> ${pkgNevra(m.to)}`) ?? [],
      },
    }
    if (source === target) return { output }
    const etcAdded = changes.etcAdded.filter((rel) => !existsSync(`${root}/etc/${rel}`))
    return {
      output,
      ...(mounted ? {} : { unlock: { ...base, dir } }),
      apply: { ...base, source, target, ...(live?.commit ? { previousLive: live.commit } : {}), unlockedHere: !mounted, etcAdded },
    }
  }

/** The library entry (CLI: `strata apply-live`, and the live half of `install --apply-live`). */
export const runApplyLive = async (o: ApplyLiveOptions & { readonly sysroot: string; readonly onWait?: (m: string) => void }): Promise<{ readonly txn: string; readonly output: ApplyLiveOutput }> => {
  const { runSysrootTransaction } = await import("./run-sysroot.js")
  const r = await runSysrootTransaction({
    sysroot: o.sysroot,
    ...(o.runDir ? { runDir: o.runDir } : {}),
    definition: applyLiveTransaction,
    plan: planApplyLive(o),
    ...(o.onWait ? { onWait: o.onWait } : {}),
  })
  return { txn: r.txn, output: r.output as ApplyLiveOutput }
}
