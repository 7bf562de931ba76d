/**
 * The commit step of a pull, done entirely in memory before anything is written (ostree's
 * "verify before write", ostree-repo-pull.c _verify_unwritten_commit / scan_commit_object):
 * fetch `.commitmeta` (404 is fine) and `.commit`, check the commit hashes to its name, check
 * its signatures as the remote requires, its ref binding, and that it is not older than the
 * commit the ref points at now (unless downgrades are allowed).
 */
import { lookup } from "../../formats/gvariant/index.js"
import { loosePath, parseCommit, type Checksum, type Commit } from "../../formats/ostree/index.js"
import { commitState } from "../repo/commit-state.js"
import { hasObject, readMetadataObject } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { formatCommitDate } from "../../lib/glib-format.js"
import { parseDetached, readDetachedBytes } from "./detached-meta.js"
import { RemoteError } from "./error.js"
import type { Fetcher } from "./fetcher.js"
import { checkMetadata, fetchMetadata, MAX_METADATA_SIZE } from "./object-fetch.js"
import { verifySigned, type VerifyPolicy } from "./verify.js"

export interface VerifiedCommit {
  readonly csum: Checksum
  readonly bytes: Uint8Array
  readonly commit: Commit
  /** Detached metadata to store (from the remote or a delta); undefined when there is none. */
  readonly detached?: Uint8Array
  /** The commit object is already in this repo; `complete` when its whole tree is too. */
  readonly local: boolean
  readonly complete: boolean
}

export interface CommitSource {
  readonly repo: Repo
  readonly fetcher: Fetcher
  readonly policy: VerifyPolicy
  /** The remote's collection id, when configured: the commit must be bound to it. */
  readonly collectionId?: string
}

/** _ostree_repo_verify_bindings. */
const checkBindings = (c: Commit, csum: Checksum, ref: string | undefined, collectionId: string | undefined): void => {
  const refs = lookup(c.metadata, "ostree.ref-binding")
  const fail = (detail: string): never => {
    throw new RemoteError({ op: "pull", reason: "Untrusted", detail: `Commit ${csum}: ${detail}` })
  }
  if (!refs) {
    if (collectionId) fail("Expected commit metadata to have ref binding information, found none")
  } else if (ref !== undefined) {
    const list = refs.value as string[]
    if (!list.includes(ref)) fail(`Commit has no requested ref ‘${ref}’ in ref binding metadata (${list.map((r) => `‘${r}’`).join(", ") || "no refs"})`)
  }
  if (collectionId) {
    const bound = lookup(c.metadata, "ostree.collection-binding")?.value
    if (bound === undefined) fail("Expected commit metadata to have collection ID binding information, found none")
    if (bound !== collectionId) fail(`Commit has collection ID ‘${String(bound)}’ in collection binding metadata, while the remote it came from has collection ID ‘${collectionId}’`)
  }
}

export interface CommitRequest {
  readonly csum: Checksum
  readonly ref?: string
  /** The commit bytes and detached metadata a static delta superblock carried. */
  readonly fromDelta?: { readonly bytes: Uint8Array; readonly detached?: Uint8Array }
  /** A parent: a 404 means the remote's history is shallow, not an error. */
  readonly optional?: boolean
}

/** Fetches (or reads locally) and verifies one commit; undefined only for an optional one the remote lacks. */
export const verifiedCommit = async (src: CommitSource, req: CommitRequest): Promise<VerifiedCommit | undefined> => {
  const { repo, fetcher } = src
  const { csum } = req
  const local = await hasObject(repo, csum, "commit")
  let bytes: Uint8Array | undefined
  if (local) bytes = await readMetadataObject(repo, "commit", csum)
  else if (req.fromDelta) {
    checkMetadata("commit", csum, req.fromDelta.bytes)
    bytes = req.fromDelta.bytes
  }
  // Detached metadata first, as ostree does, so the signatures are at hand when the commit arrives.
  // (.commitmeta is named by its commit, so it has no hash of its own to check.)
  let detached: Uint8Array | undefined =
    req.fromDelta?.detached ?? (await fetcher.get(loosePath(csum, "commitmeta", true), { optional: true, maxBytes: MAX_METADATA_SIZE }))
  bytes ??= await fetchMetadata(fetcher, "commit", csum, req.optional)
  if (!bytes) return undefined
  detached ??= local ? await readDetachedBytes(repo, csum) : undefined
  const commit = parseCommit(bytes)
  await verifySigned(src.policy, {
    data: bytes, detached: detached ? parseDetached(detached, `${csum}.commitmeta`) : undefined, what: `commit ${csum}`, summary: false,
  })
  checkBindings(commit, csum, req.ref, src.collectionId)
  const complete = local && (await commitState(repo, csum)) === "complete"
  return { csum, bytes, commit, local, complete, ...(detached ? { detached } : {}) }
}

/** _ostree_compare_timestamps: newer is fine; equal timestamps or the same commit too. */
export const checkNotOlder = (current: { csum: Checksum; timestamp: bigint }, next: VerifiedCommit): void => {
  if (next.commit.timestamp > current.timestamp || next.commit.timestamp === current.timestamp || next.csum === current.csum) return
  throw new RemoteError({
    op: "pull", reason: "Invalid",
    detail: `Upgrade target revision '${next.csum}' with timestamp '${formatCommitDate(next.commit.timestamp)}' is chronologically older than current revision '${current.csum}' with timestamp '${formatCommitDate(current.timestamp)}'; use --allow-downgrade to permit`,
  })
}
