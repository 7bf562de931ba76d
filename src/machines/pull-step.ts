/**
 * The `pull` step of the upgrade machine (PullRequested → CommitPulled): fetch the origin's
 * commit into the sysroot repo and decide what the rest of the transaction deploys.
 *
 * - upgrade/rebase: pull `remote:ref`; the target is where the ref now points.
 * - deploy CHECKSUM: pull that commit (no ref moves).
 * - deploy VERSION: walk the ref's history for the newest commit whose `version` matches,
 *   fetching commit metadata with growing depth (0, 8, 64, all) as needed, then pull it.
 *
 * Idempotent: objects are content-addressed and an interrupted pull resumes from what it kept.
 * A downgrade (target older than the deployed commit) is refused unless allowDowngrade.
 * Crash point: step:pulled.
 */
import { loadCommit } from "../io/repo/object-read.js"
import { openRepo, type Repo } from "../io/repo/repo.js"
import { readRef } from "../io/repo/refs.js"
import { revParse } from "../io/repo/rev.js"
import type { pull as pullFn } from "../io/remote/pull.js"
import { formatCommitDate } from "../lib/glib-format.js"
import { planDeployment } from "../io/sysroot/deployment.js"
import { repoPath } from "../io/sysroot/layout.js"
import { commitVersion } from "../io/sysroot/read-state.js"
import { CommitPulled, PullRequested, type PullData, type PulledData } from "../events/types/pull.js"
import { crashPoint } from "./runtime/crash.js"
import { TransactionError } from "./runtime/error.js"
import { txnStep, type StepContext } from "./runtime/step.js"
import type { PullProgress } from "../io/remote/progress.js"

// loaded on first use: the pull code (undici) costs ~0.3 s of start-up to every command that
// merely loads the machines (install, status) and never pulls
const pull: typeof pullFn = async (...args) => (await import("../io/remote/pull.js")).pull(...args)

const CHECKSUM = /^[0-9a-f]{64}$/

/** Walks `head`'s history in the repo; "missing" when a parent is not there yet. */
const findVersion = async (repo: Repo, head: string, version: string): Promise<string | "missing" | undefined> => {
  for (let c: string | null = head; c; ) {
    let commit
    try {
      commit = await loadCommit(repo, c)
    } catch {
      return "missing"
    }
    if ((await commitVersion(repo, c)) === version) return c
    c = commit.parent
  }
  return undefined
}

const resolveTarget = async (repo: Repo, req: PullData, ctx: PullContext): Promise<string> => {
  const { sysroot, signal, progress } = ctx
  const base = { remote: req.remote, sysroot, signal, ...(progress ? { onProgress: progress as (p: PullProgress) => void } : {}) }
  if (req.commit) {
    if (!CHECKSUM.test(req.commit)) throw new TransactionError({ op: "deploy", reason: "Invalid", detail: `not a commit checksum: ${req.commit}` })
    if (req.remote) await pull(repo, { ...base, refs: [req.commit], allowDowngrade: true, commitMetadataOnly: req.metadataOnly })
    else await loadCommit(repo, req.commit)
    return req.commit
  }
  if (req.version !== undefined) {
    for (const depth of req.remote ? [0, 8, 64, -1] : [-1]) {
      if (req.remote) await pull(repo, { ...base, refs: [req.ref], depth, commitMetadataOnly: true, allowDowngrade: true })
      const head = req.remote ? (await readRef(repo, `remotes/${req.remote}`, req.ref))! : await revParse(repo, req.ref)
      const found = await findVersion(repo, head, req.version)
      if (found === undefined || (found === "missing" && depth === -1)) break
      if (found !== "missing") {
        if (req.remote && !req.metadataOnly) await pull(repo, { ...base, refs: [found], allowDowngrade: true })
        return found
      }
    }
    throw new TransactionError({ op: "deploy", reason: "NotFound", detail: `version ${req.version} not found in the history of ${req.remote ? `${req.remote}:` : ""}${req.ref}` })
  }
  if (!req.remote) return revParse(repo, req.ref)
  const r = await pull(repo, { ...base, refs: [req.ref], allowDowngrade: req.allowDowngrade, commitMetadataOnly: req.metadataOnly })
  return r.refs[0]?.commit ?? (await revParse(repo, `${req.remote}:${req.ref}`))
}

type PullContext = Pick<StepContext, "sysroot" | "signal" | "progress">

export const runPull = async (req: PullData, ctx: PullContext): Promise<PulledData> => {
  const { sysroot } = ctx
  const repo = await openRepo(repoPath(sysroot))
  const target = await resolveTarget(repo, req, ctx)
  const next = await loadCommit(repo, target)
  if (!req.allowDowngrade && target !== req.from) {
    const cur = await loadCommit(repo, req.from).catch(() => undefined)
    if (cur && next.timestamp < cur.timestamp) {
      throw new TransactionError({
        op: "upgrade", reason: "Invalid",
        detail: `Upgrade target revision '${target}' with timestamp '${formatCommitDate(next.timestamp)}' is chronologically older than current revision '${req.from}' with timestamp '${formatCommitDate(cur.timestamp)}'; use --allow-downgrade to permit`,
      })
    }
  }
  const changed = target !== req.from || req.force
  const serial = changed && !req.metadataOnly ? (await planDeployment({ sysroot, stateroot: req.stateroot, commit: target })).serial : 0
  const targetVersion = await commitVersion(repo, target)
  crashPoint("step:pulled")
  return { ...req, target, ...(targetVersion !== undefined ? { targetVersion } : {}), timestamp: next.timestamp.toString(), changed, serial }
}

export const pullStep = txnStep({ intent: PullRequested, fact: CommitPulled, run: runPull })
