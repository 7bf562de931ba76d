/**
 * `sign` (ot-builtin-sign.c, ostree-sign.c ostree_sign_commit / ostree_sign_summary): add
 * signatures of a signapi type to a commit's `.commitmeta`, check them, and sign the summary
 * into `summary.sig`. Only ed25519 is implemented (ostree's other engines are `spki` and
 * the test-only `dummy`). New signatures are appended, as ostree does.
 */
import { readFile, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { Checksum } from "../../formats/ostree/index.js"
import { readMetadataObject } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { appendSignature, parseDetached, readDetachedBytes, serializeDetached, signaturesIn, writeDetachedBytes } from "./detached-meta.js"
import { RemoteError } from "./error.js"
import { ED25519_METADATA_KEY, parsePublicKey, parseSecretKey, readKeyFile, signEd25519, systemKeys, verifyEd25519 } from "./sign-ed25519.js"

export type SignType = "ed25519"

export const checkSignType = (t: string): SignType => {
  if (t !== "ed25519") throw new RemoteError({ op: "sign", reason: "Unsupported", detail: `Requested signature type is not implemented: ${t}` })
  return t
}

/** Secret keys from the command line and/or a keys file (one base64 key per line). */
export const loadSecretKeys = async (opts: { keys?: ReadonlyArray<string>; keysFile?: string }): Promise<string[]> => {
  const out = [...(opts.keys ?? [])]
  if (opts.keysFile) {
    const text = await readFile(opts.keysFile, "utf8").catch((e: NodeJS.ErrnoException) => {
      throw new RemoteError({ op: "sign", reason: "NotFound", path: opts.keysFile, detail: `cannot read keys: ${e.code ?? e.message}` })
    })
    out.push(...text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#")))
  }
  if (out.length === 0) throw new RemoteError({ op: "sign", reason: "Invalid", detail: "no keys given (KEY-ID arguments or --keys-file)" })
  return out
}

/** Appends one signature per key to the commit's detached metadata; returns how many. */
export const signCommit = async (opts: { repo: Repo; commit: Checksum; secretKeys: ReadonlyArray<string> }): Promise<number> => {
  const bytes = await readMetadataObject(opts.repo, "commit", opts.commit)
  const existing = await readDetachedBytes(opts.repo, opts.commit)
  let meta = existing ? parseDetached(existing, `${opts.commit}.commitmeta`) : []
  for (const k of opts.secretKeys) meta = appendSignature(meta, ED25519_METADATA_KEY, signEd25519(bytes, parseSecretKey(k)))
  await writeDetachedBytes(opts.repo, opts.commit, serializeDetached(meta))
  return opts.secretKeys.length
}

export interface VerifyCommitOptions {
  readonly repo: Repo
  readonly commit: Checksum
  /** Public keys (base64); with none and no keys file, the system's trusted keys. */
  readonly publicKeys?: ReadonlyArray<string>
  readonly keysFile?: string
  readonly sysroot?: string
}

/** `sign --verify`: the hex of the key that verified. */
export const verifyCommit = async (opts: VerifyCommitOptions): Promise<string> => {
  const bytes = await readMetadataObject(opts.repo, "commit", opts.commit)
  const d = await readDetachedBytes(opts.repo, opts.commit)
  const explicit = [...(opts.publicKeys ?? []).map(parsePublicKey), ...(opts.keysFile ? await readKeyFile(opts.keysFile) : [])]
  const keys = explicit.length || opts.keysFile ? explicit : await systemKeys({ sysroot: opts.sysroot, kind: "trusted" })
  return verifyEd25519({
    data: bytes, signatures: signaturesIn(d ? parseDetached(d, "commitmeta") : [], ED25519_METADATA_KEY),
    keys, revoked: await systemKeys({ sysroot: opts.sysroot, kind: "revoked" }), what: `commit ${opts.commit}`,
  })
}

/** Signs the current `summary` into `summary.sig` (replacing it, as ostree's summary -u does). */
export const signSummary = async (opts: { repo: Repo; secretKeys: ReadonlyArray<string> }): Promise<void> => {
  const p = join(opts.repo.path, "summary")
  const bytes = await readFile(p).catch(() => {
    throw new RemoteError({ op: "sign summary", reason: "NotFound", path: p, detail: "no summary to sign" })
  })
  let meta: ReturnType<typeof parseDetached> = []
  for (const k of opts.secretKeys) meta = appendSignature(meta, ED25519_METADATA_KEY, signEd25519(bytes, parseSecretKey(k)))
  const sig = `${p}.sig`
  await writeFile(`${sig}.tmp-${process.pid}`, serializeDetached(meta), { mode: 0o644 })
  await rename(`${sig}.tmp-${process.pid}`, sig)
}
