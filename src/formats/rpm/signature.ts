/**
 * What a package promises about itself and how to check it: the header digests (SHA-256/SHA-1
 * over the immutable region), the payload digest, the legacy MD5 and size over header+payload,
 * and OpenPGP signatures (RSA/DSA header signatures, checked with the openpgp package against
 * imported keys). Pure: callers stream the payload through the hashers this module names.
 */
import { createHash } from "node:crypto"
import { binary, number, numbers, string, strings, regionImage } from "./header.js"
import type { PackageFront } from "./package.js"
import { HASH_ALGOS } from "./files.js"
import { SIG, T } from "./tags.js"
import { corrupt } from "./error.js"

export interface DigestCheck {
  /** "header SHA256", "header SHA1", "payload SHA256", "MD5", "size". */
  readonly name: string
  readonly ok: boolean
  readonly expected: string
  readonly actual: string
}

/** Digests of the immutable header region, checkable from the front alone. */
export const headerDigestChecks = (front: PackageFront): DigestCheck[] => {
  const image = regionImage(front.header)
  const out: DigestCheck[] = []
  const sha256 = string(front.signature, SIG.SHA256)
  if (sha256 !== undefined) out.push(check("header SHA256", sha256, createHash("sha256").update(image).digest("hex")))
  const sha1 = string(front.signature, SIG.SHA1)
  if (sha1 !== undefined) out.push(check("header SHA1", sha1, createHash("sha1").update(image).digest("hex")))
  return out
}

const check = (name: string, expected: string, actual: string): DigestCheck => ({ name, ok: expected.toLowerCase() === actual, expected, actual })

/** What the payload pass must compute: the payload digest, and the legacy whole-package sums. */
export interface PayloadExpectations {
  /** Digest of the compressed payload (PAYLOADSHA256 in the main header), with its algorithm. */
  readonly payloadDigest: { readonly algo: string; readonly hex: string } | undefined
  /** Digest of the uncompressed payload (PAYLOADSHA256ALT), when rpm wrote one. */
  readonly payloadDigestAlt: { readonly algo: string; readonly hex: string } | undefined
  /** MD5 of header + payload (signature header). */
  readonly md5: string | undefined
  /** Byte size of header + payload (signature header SIZE / LONGSIZE). */
  readonly size: number | undefined
  /** Uncompressed payload size declared in the signature header. */
  readonly payloadSize: number | undefined
}

export const payloadExpectations = (front: PackageFront): PayloadExpectations => {
  const algoId = number(front.header, T.PAYLOADSHA256ALGO) ?? 8
  const algo = HASH_ALGOS[algoId]
  const hex = strings(front.header, T.PAYLOADSHA256)[0]
  const alt = strings(front.header, T.PAYLOADSHA256ALT)[0]
  if ((hex || alt) && !algo) throw corrupt("header", `unknown payload digest algorithm ${algoId}`)
  const md5 = binary(front.signature, SIG.MD5)
  return {
    payloadDigest: hex ? { algo: algo!, hex } : undefined,
    payloadDigestAlt: alt ? { algo: algo!, hex: alt } : undefined,
    md5: md5 ? md5.toString("hex") : undefined,
    size: numbers(front.signature, SIG.LONGSIZE)[0] ?? numbers(front.signature, SIG.SIZE)[0],
    payloadSize: numbers(front.signature, SIG.LONGARCHIVESIZE)[0] ?? numbers(front.signature, SIG.PAYLOADSIZE)[0],
  }
}

/** A signature stored in the signature header, and the bytes it covers. */
export interface StoredSignature {
  readonly tag: number
  /** "RSA", "DSA" (header only) or "PGP", "GPG" (header + payload, legacy). */
  readonly name: string
  readonly packet: Buffer
  readonly covers: "header" | "header+payload"
}

export const storedSignatures = (front: PackageFront): StoredSignature[] => {
  const out: StoredSignature[] = []
  for (const [tag, name, covers] of [
    [SIG.RSA, "RSA", "header"], [SIG.DSA, "DSA", "header"], [SIG.PGP, "PGP", "header+payload"], [SIG.GPG, "GPG", "header+payload"],
  ] as const) {
    const packet = binary(front.signature, tag)
    if (packet) out.push({ tag, name, packet, covers })
  }
  return out
}

export type SignatureStatus = "ok" | "bad" | "nokey" | "skipped"

export interface SignatureCheck {
  readonly name: string
  readonly status: SignatureStatus
  /** Issuer key id, 16 hex digits. */
  readonly keyId: string
  /** e.g. "RSA/SHA512". */
  readonly algorithm: string
  readonly detail: string
}

/** A verification key (an armored public key block, as in /etc/pki/rpm-gpg). */
export interface Keyring {
  readonly keys: ReadonlyArray<import("openpgp").PublicKey>
}

const loadOpenpgp = () => import("openpgp")

/** Reads armored OpenPGP public key blocks (each text may hold several keys). */
export const readKeyring = async (armored: ReadonlyArray<string>): Promise<Keyring> => {
  const openpgp = await loadOpenpgp()
  const keys: import("openpgp").PublicKey[] = []
  for (const text of armored) {
    try {
      for (const k of await openpgp.readKeys({ armoredKeys: text })) keys.push(k.toPublic())
    } catch (e) {
      throw corrupt("key", `cannot read OpenPGP key: ${(e as Error).message}`)
    }
  }
  return { keys }
}

const hashNames: Record<number, string> = { 1: "MD5", 2: "SHA1", 8: "SHA256", 9: "SHA384", 10: "SHA512", 11: "SHA224" }
const pkNames: Record<number, string> = { 1: "RSA", 3: "RSA", 17: "DSA", 19: "ECDSA", 22: "EdDSA", 27: "Ed25519", 28: "Ed448" }

/** Verifies one header signature over the immutable region image. */
export const verifyHeaderSignature = async ({ front, sig, keyring }: { front: PackageFront; sig: StoredSignature; keyring: Keyring }): Promise<SignatureCheck> => {
  const openpgp = await loadOpenpgp()
  let signature: import("openpgp").Signature
  try {
    signature = await openpgp.readSignature({ binarySignature: sig.packet })
  } catch (e) {
    return { name: sig.name, status: "bad", keyId: "", algorithm: "", detail: `unreadable signature packet: ${(e as Error).message}` }
  }
  const packet = signature.packets[0] as unknown as { hashAlgorithm: number; publicKeyAlgorithm: number } | undefined
  const algorithm = packet ? `${pkNames[packet.publicKeyAlgorithm] ?? packet.publicKeyAlgorithm}/${hashNames[packet.hashAlgorithm] ?? packet.hashAlgorithm}` : ""
  const keyId = signature.getSigningKeyIDs()[0]?.toHex() ?? ""
  if (sig.covers !== "header") return { name: sig.name, status: "skipped", keyId, algorithm, detail: "legacy header+payload signature not checked" }
  const ids = new Set(signature.getSigningKeyIDs().map((k) => k.toHex()))
  const key = keyring.keys.find((k) => k.getKeyIDs().some((id) => ids.has(id.toHex())))
  if (!key) return { name: sig.name, status: "nokey", keyId, algorithm, detail: `no imported key ${keyId}` }
  try {
    const message = await openpgp.createMessage({ binary: regionImage(front.header) })
    const { signatures } = await openpgp.verify({
      message, signature, verificationKeys: [key], format: "binary", expectSigned: false,
      // rpm accepts what its policy accepts; openpgp's stricter defaults (e.g. no SHA-1) would reject old packages
      config: { minRSABits: 1024, rejectHashAlgorithms: new Set(), rejectPublicKeyAlgorithms: new Set(), rejectCurves: new Set() } as never,
    })
    await signatures[0]!.verified
    return { name: sig.name, status: "ok", keyId, algorithm, detail: "" }
  } catch (e) {
    return { name: sig.name, status: "bad", keyId, algorithm, detail: (e as Error).message }
  }
}
