/**
 * What a remote requires of signatures, and checking them (ostree-repo-pull-verify.c,
 * ostree-repo.c _ostree_repo_gpg_prepare_verifier). Per remote:
 *   gpg-verify (default true), gpg-verify-summary (default false) — OpenPGP via sign-openpgp;
 *   sign-verify, sign-verify-summary (default false; `true` or a list such as `ed25519`) —
 *   signapi via sign-ed25519, keys from verification-ed25519-key / -file, else the system's
 *   trusted dirs. Revoked keys (system revoked.ed25519[.d]) never verify, whichever way the
 *   trusted keys were found — stricter than ostree, which consults them only for the dirs.
 * Every check runs on bytes held in memory, before the caller writes anything.
 */
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import type { Key } from "openpgp"
import type { VarDict } from "../../formats/gvariant/index.js"
import type { Repo } from "../repo/repo.js"
import { signaturesIn } from "./detached-meta.js"
import { RemoteError } from "./error.js"
import { remoteBool, remoteList, remotesDir, remoteString, type Remote } from "./remote-config.js"
import { ED25519_METADATA_KEY, parsePublicKey, readKeyFile, systemKeys, verifyEd25519 } from "./sign-ed25519.js"
import { GPG_METADATA_KEY, readKeyPaths, readKeyring, verifyOpenpgp } from "./sign-openpgp.js"

export interface VerifyPolicy {
  readonly gpg: boolean
  readonly gpgSummary: boolean
  readonly sign: boolean
  readonly signSummary: boolean
  readonly gpgKeys: () => Promise<Key[]>
  readonly ed25519Keys: () => Promise<Buffer[]>
  readonly ed25519Revoked: () => Promise<Buffer[]>
}

const once = <A>(f: () => Promise<A>): (() => Promise<A>) => {
  let p: Promise<A> | undefined
  return () => (p ??= f())
}

/** `sign-verify`: false/absent → off; true/1 → every supported type; else a list of type names. */
const signTypes = (r: Remote, key: string): boolean => {
  const raw = remoteString(r, key)?.trim()
  if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false
  if (raw === "true" || raw === "1") return true
  const types = remoteList(r, key, ";,")
  for (const t of types) {
    if (t !== "ed25519") throw new RemoteError({ op: "verify", reason: "Unsupported", detail: `remote "${r.name}": signature type "${t}" is not supported (ed25519 is)` })
  }
  return types.length > 0
}

export const policyFor = (opts: { repo: Repo; remote: Remote; sysroot?: string }): VerifyPolicy => {
  const { repo, remote: r, sysroot } = opts
  const explicitEd = (): boolean => remoteString(r, "verification-ed25519-key") !== undefined || remoteString(r, "verification-ed25519-file") !== undefined
  return {
    gpg: remoteBool(r, "gpg-verify", true),
    gpgSummary: remoteBool(r, "gpg-verify-summary", false),
    sign: signTypes(r, "sign-verify"),
    signSummary: signTypes(r, "sign-verify-summary"),
    gpgKeys: once(async () => {
      const name = `${r.name}.trustedkeys.gpg`
      const candidates = [join(repo.path, name), ...(sysroot ? [join(remotesDir(sysroot), name)] : [])]
      let keys: Key[] = []
      let found = false
      for (const c of candidates) {
        const b = await readFile(c).catch(() => undefined)
        if (b) {
          keys = await readKeyring(b)
          found = true
          break
        }
      }
      keys.push(...(await readKeyPaths(remoteList(r, "gpgkeypath", ";,"))))
      // The global keyring directory counts only for remotes without a keyring of their own.
      if (!found) keys.push(...(await readKeyPaths([join(sysroot ?? "/", "usr/share/ostree/trusted.gpg.d")])))
      return keys
    }),
    ed25519Keys: once(async () => {
      if (!explicitEd()) return systemKeys({ sysroot, kind: "trusted" })
      const keys: Buffer[] = []
      const file = remoteString(r, "verification-ed25519-file")
      if (file) keys.push(...(await readKeyFile(file)))
      const inline = remoteString(r, "verification-ed25519-key")
      if (inline) keys.push(...inline.split(/[;,\s]+/).filter((s) => s !== "").map(parsePublicKey))
      return keys
    }),
    ed25519Revoked: once(() => systemKeys({ sysroot, kind: "revoked" })),
  }
}

export interface SignedData {
  readonly data: Uint8Array
  /** The `.commitmeta` or `summary.sig` dict; undefined when the remote has none. */
  readonly detached: VarDict | undefined
  /** "commit <csum>" or "summary", for messages. */
  readonly what: string
  readonly summary: boolean
}

/** Throws Untrusted unless every signature kind the policy requires verifies. */
export const verifySigned = async (policy: VerifyPolicy, s: SignedData): Promise<void> => {
  const needGpg = s.summary ? policy.gpgSummary : policy.gpg
  const needSign = s.summary ? policy.signSummary : policy.sign
  if (needGpg) {
    await verifyOpenpgp({ data: s.data, signatures: signaturesIn(s.detached, GPG_METADATA_KEY), keys: await policy.gpgKeys(), what: s.what })
  }
  if (needSign) {
    verifyEd25519({
      data: s.data, signatures: signaturesIn(s.detached, ED25519_METADATA_KEY),
      keys: await policy.ed25519Keys(), revoked: await policy.ed25519Revoked(), what: s.what,
    })
  }
}
