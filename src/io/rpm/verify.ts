/**
 * `pkg verify`: every digest and signature a package carries, like `rpm -K`. Header digests are
 * checked from the front; the payload digest, MD5 and size in one streaming pass (which also
 * checks each file's content digest); signatures against the given keyring.
 */
import { readFileSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { headerDigestChecks, readKeyring, storedSignatures, verifyHeaderSignature, type DigestCheck, type Keyring, type SignatureCheck } from "../../formats/rpm/signature.js"
import { readPackageFront } from "./read.js"
import { walkPayload } from "./payload-walk.js"
import { RpmError, tagged } from "./error.js"

export interface VerifyReport {
  readonly path: string
  readonly digests: ReadonlyArray<DigestCheck>
  readonly signatures: ReadonlyArray<SignatureCheck>
  readonly digestsOk: boolean
  /** True when every signature verified (false when unsigned or any is bad or has no key). */
  readonly signaturesOk: boolean
}

/** Reads keys from files and directories of armored key files (e.g. /etc/pki/rpm-gpg). */
export const loadKeyring = async (paths: ReadonlyArray<string>): Promise<Keyring> => {
  const texts: string[] = []
  for (const p of paths) {
    const st = statSync(p)
    const files = st.isDirectory() ? readdirSync(p).sort().map((n) => join(p, n)) : [p]
    for (const f of files) texts.push(readFileSync(f, "utf8"))
  }
  return readKeyring(texts)
}

export const verifyPackage = ({ path, keyring }: { path: string; keyring?: Keyring }): Promise<VerifyReport> =>
  tagged("verify", path, async () => {
    const pkg = readPackageFront(path)
    const headerChecks = headerDigestChecks(pkg)
    const walk = await walkPayload({ pkg })
    const digests = [...headerChecks, ...walk.digests]
    const signatures: SignatureCheck[] = []
    for (const sig of storedSignatures(pkg)) signatures.push(await verifyHeaderSignature({ front: pkg, sig, keyring: keyring ?? { keys: [] } }))
    const checked = signatures.filter((s) => s.status !== "skipped")
    return {
      path,
      digests,
      signatures,
      digestsOk: digests.length > 0 && digests.every((d) => d.ok),
      signaturesOk: checked.length > 0 && checked.every((s) => s.status === "ok"),
    }
  })

/**
 * `rpm -K`'s one-line verdict: "digests signatures OK", "digests SIGNATURES NOT OK" (unsigned
 * packages verify as "digests OK"), "DIGESTS … NOT OK".
 */
export const verdict = (r: VerifyReport): string => {
  const signed = r.signatures.some((s) => s.status !== "skipped")
  const parts = [r.digestsOk ? "digests" : "DIGESTS"]
  if (signed) parts.push(r.signaturesOk ? "signatures" : "SIGNATURES")
  return `${parts.join(" ")} ${r.digestsOk && (!signed || r.signaturesOk) ? "OK" : "NOT OK"}`
}

/** Throws unless the package verified (digests always; signatures when `requireSignature`). */
export const assertVerified = (r: VerifyReport, { requireSignature = false } = {}): void => {
  const bad = r.digests.find((d) => !d.ok)
  if (bad) throw new RpmError({ op: "verify", path: r.path, reason: "Corrupt", detail: `${bad.name} digest mismatch (expected ${bad.expected}, got ${bad.actual})` })
  const badSig = r.signatures.find((s) => s.status === "bad")
  if (badSig) throw new RpmError({ op: "verify", path: r.path, reason: "Corrupt", detail: `${badSig.name} signature from key ${badSig.keyId} is BAD${badSig.detail ? `: ${badSig.detail}` : ""}` })
  if (requireSignature) {
    const noKey = r.signatures.find((s) => s.status === "nokey")
    if (noKey) throw new RpmError({ op: "verify", path: r.path, reason: "PermissionDenied", detail: `signed with key ${noKey.keyId}, which is not imported` })
    if (!r.signatures.some((s) => s.status === "ok")) throw new RpmError({ op: "verify", path: r.path, reason: "PermissionDenied", detail: "package is not signed" })
  }
}
