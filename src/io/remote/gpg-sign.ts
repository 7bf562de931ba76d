/**
 * Signing commits with GnuPG, as `ostree gpg-sign` / `commit --gpg-sign` and rpm-ostree compose's
 * `gpg-key` do (ostree_repo_sign_commit): the secret key stays in gpg's keyring and agent; gpg is
 * handed the commit object's bytes and returns a binary detached signature, which is appended to
 * the `ostree.gpgsigs` list of the commit's detached metadata (`.commitmeta`). `homedir` is gpg's
 * (default: GNUPGHOME, else ~/.gnupg).
 */
import { spawn } from "node:child_process"
import type { Checksum } from "../../formats/ostree/index.js"
import { glibDict, variant } from "../../formats/gvariant/index.js"
import { readMetadataObject } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { appendSignature, parseDetached, readDetachedBytes, serializeDetached, signaturesIn, writeDetachedBytes } from "./detached-meta.js"
import { RemoteError } from "./error.js"
import { GPG_METADATA_KEY } from "./sign-openpgp.js"

const fail = (detail: string, reason: "Invalid" | "NotFound" | "Unsupported" | "Io" = "Invalid"): RemoteError =>
  new RemoteError({ op: "gpg-sign", reason, detail })

/** gpg's own reason, from its status lines or else its last stderr line. */
const gpgReason = (stderr: string): string => {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean)
  return (lines.find((l) => /skipped|No secret key|not found|unusable|error/i.test(l)) ?? lines.at(-1) ?? "no output").replace(/^gpg: /, "")
}

/** A binary detached signature of `data` by `keyId`, made by the gpg executable. */
export const gpgDetachSign = (data: Uint8Array, keyId: string, homedir?: string): Promise<Uint8Array> =>
  new Promise((resolve, reject) => {
    const args = ["--batch", "--no-tty", "--yes", ...(homedir ? ["--homedir", homedir] : []), "--local-user", keyId, "--detach-sign", "--output", "-"]
    const child = spawn("gpg", args, { stdio: ["pipe", "pipe", "pipe"] })
    const out: Buffer[] = []
    let err = ""
    child.stdout.on("data", (b: Buffer) => out.push(b))
    child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")))
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "ENOENT" ? fail("gpg (GnuPG) is needed to sign with a GPG key and is not installed", "Unsupported") : fail(`could not run gpg: ${e.message}`, "Io")))
    child.on("close", (status) => {
      const sig = Buffer.concat(out)
      if (status === 0 && sig.length > 0) resolve(new Uint8Array(sig))
      else reject(fail(`gpg could not sign with key ${keyId}${homedir ? ` (homedir ${homedir})` : ""}: ${gpgReason(err)}`))
    })
    child.stdin.on("error", () => undefined) // gpg exits early on a bad key; its status says why
    child.stdin.end(data)
  })

export interface GpgSignOptions {
  readonly repo: Repo
  readonly commit: Checksum
  readonly keyIds: ReadonlyArray<string>
  readonly homedir?: string
  /** Replace the commit's GPG signatures instead of adding to them (a re-run of the same compose step). */
  readonly replace?: boolean
}

/** Signs `commit` with each key; returns how many signatures were added. */
export const gpgSignCommit = async (o: GpgSignOptions): Promise<number> => {
  if (!o.keyIds.length) throw fail("no KEY-ID given")
  const bytes = await readMetadataObject(o.repo, "commit", o.commit)
  // every signature first: a key gpg cannot use leaves the commit's metadata as it was
  const sigs: Uint8Array[] = []
  for (const k of o.keyIds) sigs.push(await gpgDetachSign(bytes, k, o.homedir))
  const existing = await readDetachedBytes(o.repo, o.commit)
  let meta = existing ? parseDetached(existing, `${o.commit}.commitmeta`) : []
  if (o.replace) meta = glibDict(meta.filter(([k]) => k !== GPG_METADATA_KEY))
  for (const s of sigs) meta = appendSignature(meta, GPG_METADATA_KEY, s)
  await writeDetachedBytes(o.repo, o.commit, serializeDetached(meta))
  return sigs.length
}

/** The key IDs (long, hex) and fingerprints a binary signature names as its issuer. */
const issuersOf = async (sig: Uint8Array): Promise<string[]> => {
  const pgp = await import("openpgp")
  try {
    const s = await pgp.readSignature({ binarySignature: sig })
    const ids = s.getSigningKeyIDs().map((k) => k.toHex().toUpperCase())
    for (const p of s.packets) {
      const fp = (p as { issuerFingerprint?: Uint8Array | null }).issuerFingerprint
      if (fp) ids.push(Buffer.from(fp).toString("hex").toUpperCase())
    }
    return ids
  } catch {
    return []
  }
}

/**
 * `gpg-sign --delete`: removes the signatures made by any of `keyIds` (a key ID matches a
 * signature's issuer key ID or fingerprint by suffix, as gpg matches short and long IDs).
 * Returns how many were removed.
 */
export const gpgDeleteSignatures = async (o: Omit<GpgSignOptions, "homedir" | "replace">): Promise<number> => {
  const existing = await readDetachedBytes(o.repo, o.commit)
  if (!existing) return 0
  const meta = parseDetached(existing, `${o.commit}.commitmeta`)
  const wanted = o.keyIds.map((k) => k.replace(/^0x/i, "").replace(/\s+/g, "").toUpperCase())
  const keep: Uint8Array[] = []
  let removed = 0
  for (const s of signaturesIn(meta, GPG_METADATA_KEY)) {
    const issuers = await issuersOf(s)
    if (issuers.some((i) => wanted.some((w) => w.length >= 8 && i.endsWith(w)))) removed++
    else keep.push(s)
  }
  if (!removed) return 0
  const rest = meta.filter(([k]) => k !== GPG_METADATA_KEY)
  await writeDetachedBytes(o.repo, o.commit, serializeDetached(glibDict(keep.length ? [...rest, [GPG_METADATA_KEY, variant("aay", keep)] as const] : rest)))
  return removed
}
