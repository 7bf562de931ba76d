/**
 * Ed25519 signatures as ostree's signapi writes them (ostree-sign-ed25519.c; FORMATS.md §3.2):
 * pure Ed25519 (RFC 8032, no prehash) over the exact signed bytes, 64-byte signatures in an
 * `aay` under `ostree.sign.ed25519`. Keys are base64: a secret key is seed(32) ‖ public(32), a
 * public key 32 bytes; key files hold one key per line. Trusted keys, when a remote names none,
 * come from `trusted.ed25519` and `trusted.ed25519.d/*` under /etc/ostree and /usr/share/ostree;
 * `revoked.ed25519[.d]` there lists keys that never verify anything.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto"
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { RemoteError } from "./error.js"

export const ED25519_METADATA_KEY = "ostree.sign.ed25519"

// DER prefixes that wrap raw Ed25519 key bytes as PKCS#8 / SPKI, the forms node:crypto imports.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex")

const invalidKey = (what: string): RemoteError =>
  new RemoteError({ op: "sign", reason: "Invalid", detail: `invalid ed25519 ${what}` })

const decode = (b64: string): Buffer => {
  const s = b64.trim()
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return Buffer.alloc(0)
  return Buffer.from(s, "base64")
}

export interface Ed25519Secret {
  readonly key: KeyObject
  /** The matching public key, 32 raw bytes. */
  readonly publicKey: Buffer
}

/** A secret key: base64 of seed ‖ public key (64 bytes), as `ostree sign` takes it. */
export const parseSecretKey = (b64: string): Ed25519Secret => {
  const raw = decode(b64)
  if (raw.length !== 64 && raw.length !== 32) throw invalidKey("secret key")
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw.subarray(0, 32)]), format: "der", type: "pkcs8" })
  const publicKey = createPublicKey(key).export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length)
  if (raw.length === 64 && !publicKey.equals(raw.subarray(32))) throw invalidKey("secret key (public half does not match the seed)")
  return { key, publicKey }
}

/** A public key: base64 of 32 bytes. */
export const parsePublicKey = (b64: string): Buffer => {
  const raw = decode(b64)
  if (raw.length !== 32) throw invalidKey("public key")
  return raw
}

export const secretKeyBase64 = (seed: Buffer, publicKey: Buffer): string => Buffer.concat([seed, publicKey]).toString("base64")

export const signEd25519 = (data: Uint8Array, secret: Ed25519Secret): Buffer => sign(null, data, secret.key)

const verifyOne = (data: Uint8Array, sig: Uint8Array, pub: Buffer): boolean => {
  try {
    return verify(null, data, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: "der", type: "spki" }), sig)
  } catch {
    return false
  }
}

export interface Ed25519VerifyOptions {
  readonly data: Uint8Array
  readonly signatures: ReadonlyArray<Uint8Array>
  readonly keys: ReadonlyArray<Buffer>
  readonly revoked?: ReadonlyArray<Buffer>
  /** For messages: "commit <csum>", "summary". */
  readonly what: string
}

/** Passes when any signature verifies with any trusted, non-revoked key; returns that key (hex). */
export const verifyEd25519 = (o: Ed25519VerifyOptions): string => {
  const revoked = new Set((o.revoked ?? []).map((k) => k.toString("hex")))
  const usable = o.keys.filter((k) => !revoked.has(k.toString("hex")))
  if (o.signatures.length === 0) {
    throw new RemoteError({ op: "verify", reason: "Untrusted", detail: `ed25519: no signatures found for ${o.what}` })
  }
  if (usable.length === 0) {
    throw new RemoteError({ op: "verify", reason: "Untrusted", detail: `ed25519: no trusted (non-revoked) public keys to verify ${o.what}` })
  }
  for (const sig of o.signatures) {
    if (sig.length !== 64) {
      throw new RemoteError({ op: "verify", reason: "Untrusted", detail: `ed25519: invalid signature length ${sig.length} on ${o.what}` })
    }
    for (const k of usable) if (verifyOne(o.data, sig, k)) return k.toString("hex")
  }
  throw new RemoteError({ op: "verify", reason: "Untrusted", detail: `ed25519: signature of ${o.what} could not be verified with ${usable.length} trusted key(s)` })
}

/** Keys in a file, one base64 key per line; blank lines and `#` comments skipped. */
export const readKeyFile = async (path: string, parse: (s: string) => Buffer = parsePublicKey): Promise<Buffer[]> => {
  let text: string
  try {
    text = await readFile(path, "utf8")
  } catch (e) {
    throw new RemoteError({ op: "verify", reason: "NotFound", path, detail: `cannot read ed25519 keys: ${(e as NodeJS.ErrnoException).code ?? e}` })
  }
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#")).map(parse)
}

/** `NAME.ed25519` and `NAME.ed25519.d/*` under /etc/ostree and /usr/share/ostree of `sysroot`. */
export const systemKeys = async (opts: { sysroot?: string; kind: "trusted" | "revoked" }): Promise<Buffer[]> => {
  const root = opts.sysroot ?? "/"
  const out: Buffer[] = []
  for (const base of [join(root, "etc/ostree"), join(root, "usr/share/ostree")]) {
    const file = join(base, `${opts.kind}.ed25519`)
    const dir = `${file}.d`
    const files = [file, ...(await readdir(dir).catch(() => [] as string[])).sort().map((n) => join(dir, n))]
    for (const f of files) {
      // ostree skips unreadable or malformed files with a debug message; so do we.
      out.push(...(await readKeyFile(f).catch(() => [] as Buffer[])))
    }
  }
  return out
}
