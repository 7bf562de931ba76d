/**
 * The first requests of a pull (ostree-repo-pull.c ostree_repo_pull_with_options; FORMATS.md
 * §4.2): `summary.sig`, `summary`, then the remote's `config` to check it is an archive, and the
 * refs the pull asked for — from the summary, or from `refs/heads/REF` when there is none.
 * A summary that must be signed is verified before anything in it is used.
 */
import { lookup } from "../../formats/gvariant/index.js"
import { getString, parseKeyfile } from "../../formats/keyfile.js"
import { isChecksum, parseSummary, validateRef, type Checksum, type Summary } from "../../formats/ostree/index.js"
import { parseDetached } from "./detached-meta.js"
import { RemoteError } from "./error.js"
import type { Fetcher } from "./fetcher.js"
import { verifySigned, type VerifyPolicy } from "./verify.js"

export interface RemoteSummary {
  readonly bytes?: Uint8Array
  readonly sigBytes?: Uint8Array
  readonly summary?: Summary
}

const SUMMARY_MAX = 64 << 20

export const fetchSummary = async (opts: { fetcher: Fetcher; policy: VerifyPolicy }): Promise<RemoteSummary> => {
  const { fetcher, policy } = opts
  const sigBytes = await fetcher.get("summary.sig", { optional: true, maxBytes: SUMMARY_MAX })
  const bytes = await fetcher.get("summary", { optional: true, maxBytes: SUMMARY_MAX })
  const required = policy.gpgSummary || policy.signSummary
  if (required) {
    if (!bytes) throw new RemoteError({ op: "pull", reason: "Untrusted", detail: "summary verification is enabled, but the remote has no summary" })
    if (!sigBytes) {
      throw new RemoteError({ op: "pull", reason: "Untrusted", detail: "summary verification is enabled, but no summary.sig found (use gpg-verify-summary=false / sign-verify-summary=false in remote config to disable)" })
    }
    await verifySigned(policy, { data: bytes, detached: parseDetached(sigBytes, "summary.sig"), what: "summary", summary: true })
  }
  if (!bytes) return {}
  let summary: Summary
  try {
    summary = parseSummary(bytes)
  } catch (e) {
    throw new RemoteError({ op: "pull", reason: "Corrupt", url: `${fetcher.baseUrl}summary`, detail: `invalid summary: ${(e as Error).message}` })
  }
  return sigBytes ? { bytes, sigBytes, summary } : { bytes, summary }
}

/** Pulling over HTTP needs an archive remote; ostree asks `config` even when the summary says. */
export const checkRemoteMode = async (opts: { fetcher: Fetcher; summary?: Summary }): Promise<void> => {
  if (!opts.summary) return
  let mode = lookup(opts.summary.metadata, "ostree.summary.mode")?.value as string | undefined
  const cfg = await opts.fetcher.get("config", { optional: true, maxBytes: 1 << 20 })
  if (cfg) {
    try {
      mode = getString(parseKeyfile(cfg.toString("utf8")), "core", "mode") ?? mode
    } catch {
      // an unreadable remote config does not stop a pull whose summary told the mode
    }
  }
  if (mode !== undefined && mode !== "archive-z2" && mode !== "archive") {
    throw new RemoteError({ op: "pull", reason: "Unsupported", detail: `Can't pull from archives with mode "${mode}"` })
  }
}

export interface Want {
  /** The ref asked for; absent when a commit checksum was asked for. */
  readonly ref?: string
  readonly commit: Checksum
}

/** Commits for the refs (or checksums) asked for; with `all`, every ref in the summary. */
export const resolveWants = async (opts: { fetcher: Fetcher; summary?: Summary; refs: ReadonlyArray<string>; all: boolean }): Promise<Want[]> => {
  const { fetcher, summary } = opts
  if (opts.all) {
    if (!summary) throw new RemoteError({ op: "pull", reason: "NotFound", detail: "mirroring every ref needs a summary file on the remote" })
    return summary.refs.map((r) => ({ ref: r.ref, commit: r.checksum }))
  }
  const out: Want[] = []
  for (const name of opts.refs) {
    if (isChecksum(name)) {
      out.push({ commit: name })
      continue
    }
    try {
      validateRef(name)
    } catch {
      throw new RemoteError({ op: "pull", reason: "Invalid", detail: `invalid ref name "${name}"` })
    }
    if (summary) {
      const hit = summary.refs.find((r) => r.ref === name)
      if (!hit) throw new RemoteError({ op: "pull", reason: "NotFound", detail: `No such branch '${name}' in repository summary` })
      out.push({ ref: name, commit: hit.checksum })
      continue
    }
    const body = await fetcher.get(`refs/heads/${name}`, { optional: true, maxBytes: 4096 })
    if (!body) throw new RemoteError({ op: "pull", reason: "NotFound", detail: `ref "${name}" not found on the remote` })
    const csum = body.toString("utf8").trim()
    if (!isChecksum(csum)) throw new RemoteError({ op: "pull", reason: "Corrupt", url: `${fetcher.baseUrl}refs/heads/${name}`, detail: "ref does not hold a checksum" })
    out.push({ ref: name, commit: csum })
  }
  return out
}
