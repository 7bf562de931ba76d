/**
 * The effects of the compose transaction's steps (src/machines/compose.ts), each idempotent and
 * keyed by its request: download into the cache, assemble + post-process the root in the work
 * dir (started afresh on a re-run), write the commit (same request → same commit: the timestamp
 * is fixed in the request), move the ref, remove the work dir.
 */
import { rmSync } from "node:fs"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { Treefile } from "../../formats/treefile.js"
import { catFiles } from "../repo/cat.js"
import { openRepo } from "../repo/repo.js"
import { pkglistOfTree } from "../rpm/rpmdb-pkglist.js"
import { assembleRoot } from "./assemble.js"
import { commitMarker, moveRef, signComposeCommit, writeComposeCommit, writeDetachedRpmmdRepos } from "./commit.js"
import { cachedPackagePath, downloadPackages } from "./download.js"
import { commitMetadata } from "./metadata.js"
import { applyOstreeLayers, type OstreeLayer } from "./layers.js"
import { postprocess } from "./postprocess.js"
import type { ResolvedPackage, RpmmdRepo } from "./resolve.js"

/** What every compose step is given: the transaction's request (ComposeRequested's payload). */
export interface ComposeRequest {
  readonly repo: string
  readonly ref: string
  readonly parent: string
  readonly treefilePath: string
  readonly treefile: string
  readonly packages: string
  readonly cachedir: string
  readonly workdir: string
  readonly inputhash: string
  readonly version?: string
  readonly extraMetadata: string
  readonly timestamp: string
  readonly unchanged?: boolean
  /** OstreeLayer[] as JSON (layers.ts) */
  readonly layers?: string
  /** RpmmdRepo[] as JSON (resolve.ts) */
  readonly rpmmdRepos?: string
}

export const rootfsOf = (workdir: string): string => join(workdir, "rootfs")
export const importCacheOf = (cachedir: string): string => join(cachedir, "imports")

const packagesOf = (r: ComposeRequest): ResolvedPackage[] => JSON.parse(r.packages) as ResolvedPackage[]
const treefileOf = (r: ComposeRequest): Treefile => JSON.parse(r.treefile) as Treefile

export const downloadEffect = async (r: ComposeRequest): Promise<{ fetched: number; reused: number; bytes: number }> => {
  const d = await downloadPackages({ packages: packagesOf(r), cachedir: r.cachedir })
  return { fetched: d.fetched, reused: d.reused, bytes: d.bytes }
}

const previousFile = async (repoPath: string, parent: string, path: string): Promise<string | undefined> => {
  if (!parent) return undefined
  try {
    return (await catFiles(await openRepo(repoPath), parent, [path])).toString("utf8")
  } catch {
    return undefined
  }
}

const previousUsers = async (r: ComposeRequest, lib: { passwd?: string; group?: string }): Promise<{ passwd?: string; group?: string }> => {
  const out: { passwd?: string; group?: string } = {}
  for (const file of ["passwd", "group"] as const) {
    const etc = await previousFile(r.repo, r.parent, `usr/etc/${file}`)
    const lines = [...(etc ?? "").split("\n"), ...(lib[file] ?? "").split("\n")].filter((l) => l.trim())
    const seen = new Set<string>()
    const merged = lines.filter((l) => {
      const n = l.split(":")[0]!
      if (seen.has(n)) return false
      seen.add(n)
      return true
    })
    if (merged.length) out[file] = `${merged.join("\n")}\n`
  }
  return out
}

export const assembleEffect = async (r: ComposeRequest): Promise<{ workdir: string; packages: number; kver?: string }> => {
  const tf = treefileOf(r)
  const pkgs = packagesOf(r)
  const root = rootfsOf(r.workdir)
  // a re-run starts from nothing: a half-assembled root is not worth repairing
  rmSync(root, { recursive: true, force: true })
  const previous = {
    passwd: await previousFile(r.repo, r.parent, "usr/lib/passwd"),
    group: await previousFile(r.repo, r.parent, "usr/lib/group"),
  }
  // preserve-passwd: the previous commit's users (root from its /usr/etc, the rest from /usr/lib)
  const seed = tf["preserve-passwd"] && r.parent ? await previousUsers(r, previous) : undefined
  const { installed } = await assembleRoot({
    root,
    packages: pkgs.map((p) => cachedPackagePath(r.cachedir, p)),
    importCache: importCacheOf(r.cachedir),
    documentation: tf.documentation,
    ...(tf["install-langs"] ? { installLangs: tf["install-langs"] } : {}),
    installTime: Number(r.timestamp),
    ...(seed ? { seed } : {}),
  })
  if (r.layers) await applyOstreeLayers({ repo: r.repo, root, scratch: r.workdir, layers: JSON.parse(r.layers) as OstreeLayer[] })
  const pp = await postprocess({
    root,
    treefile: tf,
    installed,
    previous: { ...(previous.passwd !== undefined ? { passwd: previous.passwd } : {}), ...(previous.group !== undefined ? { group: previous.group } : {}) },
    readFile: (p) => readFileSync(p, "utf8"),
    ...(r.version !== undefined ? { version: r.version } : {}),
  })
  return { workdir: r.workdir, packages: installed.length, ...(pp.kver ? { kver: pp.kver } : {}) }
}

export const commitEffect = async (r: ComposeRequest & { kver?: string }): Promise<{ commit: string; since: string; workdir: string }> => {
  const tf = treefileOf(r)
  const root = rootfsOf(r.workdir)
  const since = commitMarker(r.workdir)
  const rpmmdRepos = r.rpmmdRepos !== undefined ? (JSON.parse(r.rpmmdRepos) as RpmmdRepo[]) : undefined
  const metadata = commitMetadata({
    treefile: tf,
    ...(r.version !== undefined ? { version: r.version } : {}),
    inputhash: r.inputhash,
    pkglist: pkglistOfTree(root),
    ...(r.kver ? { kver: r.kver } : {}),
    extra: JSON.parse(r.extraMetadata) as Record<string, string>,
    ...(rpmmdRepos ? { rpmmdRepos } : {}),
  })
  const commit = await writeComposeCommit({ repo: r.repo, root, parent: r.parent || null, metadata, timestamp: BigInt(r.timestamp) })
  // repo-metadata: detached puts rpmostree.rpmmd-repos in the commit's detached metadata instead
  // (written before any signature, which is appended to that same dict)
  if (rpmmdRepos && tf["repo-metadata"] === "detached") await writeDetachedRpmmdRepos(r.repo, commit, rpmmdRepos)
  // gpg-key: signed before the ref moves (ostree_repo_sign_commit in rpm-ostree's commit step); a
  // re-run of this step makes the same commit, so its signature replaces the earlier one
  const gpgKey = tf["gpg-key"]
  if (gpgKey !== undefined) await signComposeCommit(r.repo, commit, gpgKey)
  return { commit, since, workdir: r.workdir }
}

export const moveRefEffect = async <T extends { repo: string; ref: string; to: string }>(m: T): Promise<T> => {
  await moveRef(m.repo, m.ref, m.to)
  return m
}

export const removeWorkdir = async ({ workdir }: { workdir: string }): Promise<{ workdir: string }> => {
  rmSync(workdir, { recursive: true, force: true })
  return { workdir }
}
