/**
 * OpenPGP signatures as ostree keeps them (ostree-gpg-verifier.c, ostree-repo.c
 * ostree_repo_sign_commit; FORMATS.md §3.2): binary detached signatures over the exact signed
 * bytes, in an `aay` under `ostree.gpgsigs`. Trusted keys come from the remote's keyring
 * `<repo>/<remote>.trustedkeys.gpg` (or the same name in remotes.d), the remote's `gpgkeypath`
 * files, and — only when the remote has no keyring of its own — the global
 * `/usr/share/ostree/trusted.gpg.d/`. As with ostree, verification passes when at least one
 * signature is valid and made by a trusted key; signatures by unknown keys are ignored.
 *
 * The openpgp package is loaded on first use: most commands never verify a GPG signature.
 */
import { readdir, readFile, stat } from "node:fs/promises"
import { join } from "node:path"
import type { Key, PrivateKey } from "openpgp"
import { RemoteError } from "./error.js"

export const GPG_METADATA_KEY = "ostree.gpgsigs"

const pgp = () => import("openpgp")

/** Reads keys from binary keyring bytes (concatenated transferable keys) or ASCII armor. */
export const readKeyring = async (bytes: Uint8Array): Promise<Key[]> => {
  if (bytes.length === 0) return []
  const o = await pgp()
  const text = Buffer.from(bytes.subarray(0, 64)).toString("latin1")
  try {
    return text.includes("-----BEGIN PGP")
      ? await o.readKeys({ armoredKeys: Buffer.from(bytes).toString("utf8") })
      : await o.readKeys({ binaryKeys: bytes })
  } catch (e) {
    throw new RemoteError({ op: "gpg", reason: "Invalid", detail: `cannot read OpenPGP keys: ${(e as Error).message}` })
  }
}

/** Concatenated binary public keys: the keyring file format ostree's gpg-import writes. */
export const writeKeyring = (keys: ReadonlyArray<Key>): Uint8Array =>
  Buffer.concat(keys.map((k) => Buffer.from(k.toPublic().write())))

/**
 * Key files and keyring directories (`gpgkeypath`, trusted.gpg.d). In a directory only `*.gpg`
 * files count, and one that cannot be parsed is skipped, as ostree's verifier does (Debian ships
 * a README in trusted.gpg.d); a file named explicitly must parse.
 */
export const readKeyPaths = async (paths: ReadonlyArray<string>): Promise<Key[]> => {
  const out: Key[] = []
  for (const p of paths) {
    const st = await stat(p).catch(() => undefined)
    if (!st) continue
    if (!st.isDirectory()) {
      out.push(...(await readKeyring(await readFile(p))))
      continue
    }
    for (const n of (await readdir(p)).filter((n) => n.endsWith(".gpg")).sort()) {
      const b = await readFile(join(p, n)).catch(() => undefined)
      if (b) out.push(...(await readKeyring(b).catch(() => [] as Key[])))
    }
  }
  return out
}

export interface OpenpgpVerifyOptions {
  readonly data: Uint8Array
  readonly signatures: ReadonlyArray<Uint8Array>
  readonly keys: ReadonlyArray<Key>
  readonly what: string
}

/** Returns the fingerprint of the key whose signature verified; throws Untrusted otherwise. */
export const verifyOpenpgp = async (o: OpenpgpVerifyOptions): Promise<string> => {
  if (o.signatures.length === 0) {
    throw new RemoteError({
      op: "verify", reason: "Untrusted",
      detail: `GPG verification enabled, but no signatures found for ${o.what} (use gpg-verify=false in remote config to disable)`,
    })
  }
  if (o.keys.length === 0) {
    throw new RemoteError({ op: "verify", reason: "Untrusted", detail: `GPG signatures found for ${o.what}, but no trusted keys are configured (import one with remote gpg-import)` })
  }
  const lib = await pgp()
  const message = await lib.createMessage({ binary: o.data })
  let sawKnown = false
  for (const raw of o.signatures) {
    let signature
    try {
      signature = await lib.readSignature({ binarySignature: raw })
    } catch {
      continue // not a signature packet: ignored, as gpgme ignores garbage it cannot parse
    }
    const res = await lib.verify({ message, signature, verificationKeys: [...o.keys], format: "binary" })
    for (const s of res.signatures) {
      const key = o.keys.find((k) => k.getKeys(s.keyID).length > 0)
      if (!key) continue
      sawKnown = true
      try {
        await s.verified
        return key.getFingerprint()
      } catch {
        // a bad signature from a trusted key: keep looking for a good one
      }
    }
  }
  throw new RemoteError({
    op: "verify", reason: "Untrusted",
    detail: sawKnown ? `GPG signature of ${o.what} is invalid` : `GPG signatures found for ${o.what}, but none are in the trusted keyring`,
  })
}

/** A binary detached signature (what `ostree gpg-sign` appends). */
export const signOpenpgp = async (data: Uint8Array, key: PrivateKey): Promise<Uint8Array> => {
  const lib = await pgp()
  const message = await lib.createMessage({ binary: data })
  return lib.sign({ message, signingKeys: key, detached: true, format: "binary" }) as Promise<Uint8Array>
}

/** Reads an (unencrypted) armored or binary secret key. */
export const readSecretKey = async (bytes: Uint8Array): Promise<PrivateKey> => {
  const lib = await pgp()
  const text = Buffer.from(bytes).toString("utf8")
  return text.includes("-----BEGIN PGP") ? lib.readPrivateKey({ armoredKey: text }) : lib.readPrivateKey({ binaryKey: bytes })
}
