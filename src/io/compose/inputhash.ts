/**
 * `rpmostree.inputhash`: what a compose was made from, so an unchanged re-run can say so and
 * write nothing. SHA-256 over the canonical expanded treefile, every resolved package (NEVRA and
 * the repository's checksum of the whole .rpm file, which covers its header), the contents of
 * add-files sources and the postprocess-script, the --add-metadata-string values, and the commits
 * the ostree-layers refs named when the compose was planned. rpm-ostree's
 * hash (treefile checksum + depsolve goal) is opaque; only equality matters.
 */
import { createHash } from "node:crypto"
import { basename } from "node:path"
import { canonicalJson, type Treefile } from "../../formats/treefile.js"
import type { ResolvedPackage } from "./resolve.js"

export const INPUTHASH_VERSION = "strata-compose-1"

export const inputHash = ({ treefile, packages, readFile, extra = {}, layers = [] }: { treefile: Treefile; packages: ReadonlyArray<ResolvedPackage>; readFile: (p: string) => Buffer; extra?: Readonly<Record<string, string>>; layers?: ReadonlyArray<{ readonly ref: string; readonly commit: string }> }): string => {
  const h = createHash("sha256")
  const field = (k: string, v: string | Buffer): void => {
    h.update(`${k}\0${Buffer.byteLength(v)}\0`)
    h.update(v)
  }
  field("version", INPUTHASH_VERSION)
  // where the treefile's files are does not matter, only what they hold (hashed below)
  const ps = treefile["postprocess-script"]
  const located = {
    ...treefile,
    "add-files": treefile["add-files"].map(([src, dest]) => [basename(src), dest]),
    ...(ps ? { "postprocess-script": basename(ps) } : {}),
  }
  field("treefile", canonicalJson(located))
  for (const p of [...packages].sort((a, b) => (a.nevra < b.nevra ? -1 : a.nevra > b.nevra ? 1 : 0))) field("package", `${p.nevra} ${p.checksum.type}:${p.checksum.value}`)
  for (const [src, dest] of treefile["add-files"]) field(`add-file ${dest}`, readFile(src))
  if (ps) field("postprocess-script", readFile(ps))
  for (const k of ["check-passwd", "check-groups"] as const) {
    const c = treefile[k]
    if (c?.type === "file") field(k, readFile(c.filename))
  }
  for (const k of Object.keys(extra).sort()) field(`metadata ${k}`, extra[k]!)
  // a layer's content is its commit (the ref only names it)
  for (const l of layers) field(`ostree-layer ${l.ref}`, l.commit)
  return h.digest("hex")
}
