/**
 * Local RPMs (`strata install ./x.rpm`, `override replace ./x.rpm`): checked, then — once the
 * layered commit that uses them exists — imported as commits on `rpmostree/pkg/<name>/<evr>.<arch>`
 * (their unpacked tree, with the package's lead+signature+header in `rpmostree.metadata`), so a
 * later upgrade re-applies them without the file.
 */
import { mkdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { lookup, variant } from "../../formats/gvariant/value.js"
import { number, string } from "../../formats/rpm/header.js"
import { nevraOf, packageArch } from "../../formats/rpm/info.js"
import { formatEvr } from "../../formats/rpm/evr.js"
import { parsePackageFront, type PackageFront } from "../../formats/rpm/package.js"
import { T } from "../../formats/rpm/tags.js"
import { checkout } from "../repo/checkout.js"
import { commitTree } from "../repo/commit.js"
import { loadCommit } from "../repo/object-read.js"
import { readRef } from "../repo/refs.js"
import type { Repo } from "../repo/repo.js"
import { importPackage } from "../rpm/import-cache.js"
import { readOwners } from "../rpm/owners.js"
import { LayerError } from "./error.js"
import { metadataSha256, pkgRef } from "./pkg-ref.js"

export const refOfFront = (f: PackageFront): string =>
  pkgRef({
    name: string(f.header, T.NAME) ?? "",
    evr: formatEvr({ epoch: number(f.header, T.EPOCH), version: string(f.header, T.VERSION) ?? "", release: string(f.header, T.RELEASE) ?? "" }),
    arch: packageArch(f.header),
  })

/** The ref of a NEVRA as the origin records it (`name-[e:]v-r.arch`). */
export const refOfNevra = (nevra: string): string => {
  const m = /^(.+)-([^-]+)-([^-]+)\.([^.]+)$/.exec(nevra)
  if (!m) throw new LayerError({ op: "local package", reason: "Invalid", detail: `malformed NEVRA ${nevra}` })
  return pkgRef({ name: m[1]!, evr: `${m[2]}-${m[3]}`, arch: m[4]! })
}

/** sha256 and NEVRA of a local RPM file (read-only). */
export const describeLocal = (path: string): { readonly sha256: string; readonly nevra: string; readonly front: PackageFront } => {
  let m
  try {
    m = metadataSha256(path)
    const front = parsePackageFront(m.front)
    return { sha256: m.sha256, nevra: nevraOf(front.header), front }
  } catch (e) {
    throw new LayerError({ op: "local package", reason: "Invalid", path, detail: `not a readable RPM: ${(e as Error).message}` })
  }
}

/** Imports an RPM as a pkg commit (idempotent: an existing ref of the same sha256 is kept). */
export const importLocalCommit = async ({ repo, path, cacheDir, ownersFrom }: { repo: Repo; path: string; cacheDir: string; ownersFrom: string }): Promise<string> => {
  const d = describeLocal(path)
  const ref = refOfFront(d.front)
  const have = await readRef(repo, "heads", ref)
  if (have) {
    const c = await loadCommit(repo, have)
    if (lookup(c.metadata, "rpmostree.metadata_sha256")?.value === d.sha256) return have
  }
  const { dir } = await importPackage({ path, cacheDir, owners: readOwners(ownersFrom) })
  const { front } = metadataSha256(path)
  const r = await commitTree(repo, {
    branch: ref,
    parent: null,
    trees: [{ dir }],
    bindRef: false,
    metadata: [
      ["rpmostree.metadata", variant("ay", new Uint8Array(front))],
      ["rpmostree.metadata_sha256", variant("s", d.sha256)],
      ["rpmostree.nevra", variant("s", d.nevra)],
    ],
  })
  return r.commit
}

/** A pkg commit checked out for re-application: its tree and front, by the origin's entry. */
export const checkoutLocal = async ({ repo, sha256, nevra, into }: { repo: Repo; sha256: string; nevra: string; into: string }): Promise<{ dir: string; front: PackageFront }> => {
  const ref = refOfNevra(nevra)
  const c = await readRef(repo, "heads", ref)
  const commit = c ? await loadCommit(repo, c) : undefined
  const meta = commit ? lookup(commit.metadata, "rpmostree.metadata") : undefined
  if (!commit || !meta || lookup(commit.metadata, "rpmostree.metadata_sha256")?.value !== sha256) {
    throw new LayerError({ op: "local package", reason: "NotFound", detail: `${nevra} (${sha256.slice(0, 12)}) is not imported in the repository (ref ${ref}); install it again from its file` })
  }
  const dir = join(into, sha256)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(into, { recursive: true })
  await checkout(repo, { rev: c!, destination: dir })
  return { dir, front: parsePackageFront(meta.value as Uint8Array) }
}
