/**
 * A hardlink checkout of a large tree writes on two threads: the main thread and one worker each
 * take about half of the directories and links, as whole subtrees. Why it pays: most of such a
 * checkout is kernel time creating inodes. On ext4 without a journal (this project's machines),
 * allocating an inode skips every free inode deleted in the last minute (`recently_deleted` in
 * find_inode_bit), so after an `rm -rf` of an earlier checkout one mkdir costs 70–500 µs of
 * system time. Two threads pay it in parallel: measured with two processes splitting the bench
 * tree's 2306 mkdirs, neither sleeps on a lock, and the longer half takes ~60 % of the whole.
 *
 * The main thread makes the directories above the worker's subtrees first, and applies their
 * metadata (a read-only mode, say) only after the worker is done. Every object was verified
 * before the split; the worker only links, and copies the few empty files.
 */
import { makeWorkerPool, type WorkerPool } from "../../lib/worker-pool.js"
import type { Reason } from "../../lib/error.js"
import type { Checksum } from "../../formats/ostree/index.js"
import { RepoError } from "./error.js"
import { checkoutDir, makeDir, type PlannedDir, type SplitHooks, type WriteCtx, type WriteOptions } from "./checkout-write.js"
import type { RepoAt } from "./object-read.js"

export interface SplitRoot {
  readonly dest: string
  readonly plan: PlannedDir
  readonly parentSetgid: boolean
}

export type WriterJob =
  | { readonly type: "boot" }
  | { readonly type: "write"; readonly repo: RepoAt; readonly opts: WriteOptions; readonly copyInstead: ReadonlyArray<Checksum>; readonly roots: ReadonlyArray<SplitRoot> }

export type WriterResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly op: string; readonly reason: Reason; readonly detail: string; readonly path?: string }

export type Writer = WorkerPool<WriterJob, WriterResult>

/** Starts the worker now, so it loads its modules while the main thread verifies. */
export const startWriter = (): Writer => {
  const w = makeWorkerPool<WriterJob, WriterResult>(new URL("./checkout-worker.js", import.meta.url), 1)
  w.run({ type: "boot" }).catch(() => undefined) // a failure to start surfaces with the write job
  return w
}

/** A mkdir costs about as much as ten links here (inode allocation; see above). */
const DIR_WEIGHT = 10

/**
 * Whole subtrees worth about `share` of the work for the worker, and the directories above them
 * (the destination first, then parents before children) for the main thread to make first.
 */
export const splitPlan = (plan: PlannedDir, dest: string, share = 0.5): { roots: SplitRoot[]; above: Array<SplitRoot & { top: boolean }> } => {
  const memo = new Map<PlannedDir, number>()
  const weight = (p: PlannedDir): number => {
    let w = memo.get(p)
    if (w !== undefined) return w
    w = DIR_WEIGHT + p.tree.files.length
    for (const [, d] of p.dirs) w += weight(d)
    memo.set(p, w)
    return w
  }
  let need = weight(plan) * share
  const roots: SplitRoot[] = []
  const above: Array<SplitRoot & { top: boolean }> = [{ dest, plan, parentSetgid: true, top: true }]
  const pick = (p: PlannedDir, path: string): void => {
    const setgid = (p.meta.mode & 0o2000) !== 0
    const bySize = [...p.dirs].sort((a, b) => weight(b[1]) - weight(a[1]))
    for (const [name, d] of bySize) {
      if (need < DIR_WEIGHT) return
      const w = weight(d)
      const sub = `${path}/${name}`
      if (w <= need) {
        roots.push({ dest: sub, plan: d, parentSetgid: setgid })
        need -= w
      } else if (d.dirs.length > 0) {
        above.push({ dest: sub, plan: d, parentSetgid: setgid, top: false })
        pick(d, sub)
      }
    }
  }
  pick(plan, dest)
  return { roots, above }
}

/** Writes `plan` at `dest` on this thread and the writer; throws the first failure of either. */
export const checkoutSplit = async (ctx: WriteCtx, plan: PlannedDir, dest: string, writer: Writer): Promise<void> => {
  const { roots, above } = splitPlan(plan, dest)
  const premade = new Map<string, boolean>()
  for (const a of above) premade.set(a.dest, makeDir(ctx, a.plan.meta, a.dest, a.top, a.parentSetgid))
  const hooks: SplitHooks = { elsewhere: new Set(roots.map((r) => r.dest)), premade, deferred: [] }
  const job = writer.run({
    type: "write",
    repo: { path: ctx.repo.path, mode: ctx.repo.mode },
    opts: { userMode: !!ctx.opts.userMode, union: !!ctx.opts.union },
    copyInstead: [...ctx.copyInstead],
    roots,
  })
  let mine: unknown
  try {
    checkoutDir({ ...ctx, split: hooks }, plan, dest, true)
  } catch (e) {
    mine = e
  }
  // Wait for the worker even when this half failed: nothing may still be writing when the caller cleans up.
  const theirs = await job.catch((e: Error): WriterResult => ({ ok: false, op: "checkout", reason: "Io", detail: `checkout worker: ${e.message}` }))
  if (mine !== undefined) throw mine
  if (!theirs.ok) throw new RepoError({ op: theirs.op, reason: theirs.reason, detail: theirs.detail, ...(theirs.path ? { path: theirs.path } : {}) })
  for (const f of hooks.deferred) f()
}
