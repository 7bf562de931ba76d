/**
 * Local RPMs (`strata install ./x.rpm`, `override replace ./x.rpm`): checked, then — once the
 * layered commit that uses them exists — imported as commits on `rpmostree/pkg/<name>/<evr>.<arch>`
 * (their unpacked tree, with the package's lead+signature+header in `rpmostree.metadata`), so a
 * later upgrade re-applies them without the file (a copy of the file is kept too: keepLocal).
 */
import { copyFileSync, existsSync, mkdirSync, renameSync } from "node:fs"
import { dirname, join } from "node:path"
import { repoPath } from "../sysroot/layout.js"
import { lookup, variant } from "../../formats/gvariant/value.js"
import { number, string } from "../../formats/rpm/header.js"
import { nevraOf, packageArch } from "../../formats/rpm/info.js"
import { formatEvr } from "../../formats/rpm/evr.js"
import { parsePackageFront, type PackageFront } from "../../formats/rpm/package.js"
import { T } from "../../formats/rpm/tags.js"
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

/**
 * Where a local RPM is kept for re-application (an upgrade re-layers it onto the new base):
 * `<repo>/strata/local-rpms/<sha256>.rpm`, beside the pkg commit rpm-ostree would keep. The
 * package applier installs from package files, which a pkg commit's unpacked tree is not.
 */
export const keptLocalPath = (sysroot: string, sha256: string): string => join(repoPath(sysroot), "strata", "local-rpms", `${sha256}.rpm`)

/** Copies a local RPM to keptLocalPath (atomic; idempotent). */
export const keepLocal = (sysroot: string, path: string, sha256: string): string => {
  const dest = keptLocalPath(sysroot, sha256)
  if (existsSync(dest)) return dest
  mkdirSync(dirname(dest), { recursive: true })
  const tmp = `${dest}.tmp-${process.pid}`
  copyFileSync(path, tmp)
  renameSync(tmp, dest)
  return dest
}
