/**
 * The checkout worker (see checkout-split.ts): writes the subtrees it is given, with the same
 * code as the main thread. Every object was verified before the split, so it only links (and
 * copies the empty files). A failure comes back as the RepoError's fields.
 */
import { serveJobs } from "../../lib/worker-pool.js"
import { RepoError } from "./error.js"
import { checkoutDir, type WriteCtx } from "./checkout-write.js"
import type { WriterJob, WriterResult } from "./checkout-split.js"

serveJobs<WriterJob, WriterResult>((job) => {
  if (job.type === "boot") return { result: { ok: true } }
  const ctx: WriteCtx = {
    repo: job.repo, opts: job.opts, hardlink: true, allVerified: true, verified: new Set(), copyInstead: new Set(job.copyInstead), cache: undefined,
  }
  try {
    for (const r of job.roots) checkoutDir(ctx, r.plan, r.dest, false, r.parentSetgid)
  } catch (e) {
    if (!(e instanceof RepoError)) throw e
    return { result: { ok: false, op: e.op, reason: e.reason, detail: e.detail, ...(e.path ? { path: e.path } : {}) } }
  }
  return { result: { ok: true } }
})
