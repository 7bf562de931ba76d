/**
 * Names rpm-ostree gives to imported packages (FORMATS.md §7.3): a local RPM becomes a commit on
 * `rpmostree/pkg/<name>/<evr>.<arch>`, each part escaped so it is a valid ref component —
 * `[A-Za-z0-9.-]` as is, `_` → `__`, anything else → `_XX` (uppercase hex of each UTF-8 byte);
 * a `0:` epoch is dropped from the EVR.
 */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { packageFrontLength } from "../../formats/rpm/package.js"

export const escapeRefPart = (s: string): string => {
  let out = ""
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b)
    if (/[A-Za-z0-9.-]/.test(c)) out += c
    else if (c === "_") out += "__"
    else out += `_${b.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return out
}

export const unescapeRefPart = (s: string): string => {
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "_") bytes.push(s.charCodeAt(i))
    else if (s[i + 1] === "_") bytes.push(0x5f), i++
    else bytes.push(parseInt(s.slice(i + 1, i + 3), 16)), (i += 2)
  }
  return Buffer.from(bytes).toString("utf8")
}

/** `rpmostree/pkg/<name>/<evr>.<arch>`; evr as `[epoch:]version-release`. */
export const pkgRef = (p: { readonly name: string; readonly evr: string; readonly arch: string }): string =>
  `rpmostree/pkg/${escapeRefPart(p.name)}/${escapeRefPart(`${p.evr.replace(/^0:/, "")}.${p.arch}`)}`

/** `rpmostree/base/<i>`: keeps the bases of layered deployments from being pruned. */
export const baseRef = (i: number): string => `rpmostree/base/${i}`

/**
 * rpm-ostree's metadata_sha256 of a local RPM: the SHA-256 of its lead, signature header and
 * header (not the payload) — what `requested-local=<sha256>:<nevra>` records.
 */
export const metadataSha256 = (path: string): { readonly sha256: string; readonly front: Buffer } => {
  const bytes = readFileSync(path)
  const n = packageFrontLength(bytes)
  const front = bytes.subarray(0, n)
  return { sha256: createHash("sha256").update(front).digest("hex"), front: Buffer.from(front) }
}
