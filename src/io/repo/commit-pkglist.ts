/**
 * The package list of a commit, as `rpm-ostree db` reads it (`src/lib/rpmostree-package.c`
 * _rpm_ostree_package_variant_list_for_commit): `rpmostree.rpmdb.pkglist` from the metadata,
 * else the commit's rpmdb (`usr/share/rpm/rpmdb.sqlite`), read out of the repository into a
 * private temporary directory that is removed afterwards.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pkglistFromMetadata, type PkgEntry } from "../../formats/rpmostree/pkglist.js"
import { isClientLayer } from "../../formats/rpmostree/client-layer.js"
import { pkglistOfRpmdb } from "../rpm/rpmdb-pkglist.js"
import { RepoError } from "./error.js"
import { loadCommit, readContentObject } from "./object-read.js"
import type { Repo } from "./repo.js"
import { lookupFollow, rootNode } from "./tree-path.js"

/** Where trees keep their sqlite rpmdb, rpm-ostree's location first (symlinks are followed in the commit). */
const RPMDB_DIRS = ["usr/share/rpm", "usr/lib/sysimage/rpm", "var/lib/rpm"]

export interface CommitPkglist {
  readonly packages: PkgEntry[]
  readonly source: "metadata" | "rpmdb"
}

const tryLookup = async (repo: Repo, root: ReturnType<typeof rootNode>, path: string) => {
  try {
    return await lookupFollow(repo, root, path, "db")
  } catch (e) {
    if ((e as { reason?: string }).reason === "NotFound") return undefined
    throw e
  }
}

export const pkglistOfCommit = async (repo: Repo, checksum: string): Promise<CommitPkglist> => {
  const commit = await loadCommit(repo, checksum)
  const fromMeta = pkglistFromMetadata(commit.metadata)
  if (fromMeta) return { packages: fromMeta, source: "metadata" }
  const root = rootNode(commit)
  for (const dir of RPMDB_DIRS) {
    const node = await tryLookup(repo, root, `${dir}/rpmdb.sqlite`)
    if (node?.kind !== "file") continue
    const tmp = mkdtempSync(join(tmpdir(), "strata-rpmdb-"))
    try {
      writeFileSync(join(tmp, "rpmdb.sqlite"), (await readContentObject(repo, node.csum, true)).data)
      // a database committed in WAL mode keeps recent pages in its -wal file
      const wal = await tryLookup(repo, root, `${dir}/rpmdb.sqlite-wal`)
      if (wal?.kind === "file") writeFileSync(join(tmp, "rpmdb.sqlite-wal"), (await readContentObject(repo, wal.csum, true)).data)
      return { packages: pkglistOfRpmdb(join(tmp, "rpmdb.sqlite")), source: "rpmdb" }
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }
  throw new RepoError({ op: "db", reason: "NotFound", detail: `commit ${checksum} has no package list: no rpmostree.rpmdb.pkglist metadata and no rpmdb (usr/share/rpm/rpmdb.sqlite)` })
}

/** The base of a client-layer commit (its parent); any other commit is its own base. */
export const baseCommitOf = async (repo: Repo, checksum: string): Promise<string> => {
  const c = await loadCommit(repo, checksum)
  return isClientLayer(c.metadata) && c.parent ? c.parent : checksum
}
