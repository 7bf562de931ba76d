/**
 * Depsolving a treefile: the `*.repo` files next to it (only the ids in `repos`), their rpm-md
 * metadata (cached under the cachedir), `exclude-packages`, `recommends`, then one install job
 * per entry of `packages` (and of `repo-packages`, pinned to their repo) on an empty system. The answer is the full package set with where to
 * fetch each one and its checksum from the repository metadata.
 */
import { dirname, join } from "node:path"
import type { Treefile } from "../../formats/treefile.js"
import type { MdPackage } from "../../formats/rpm/repomd.js"
import { loadRepoConfigs } from "../rpm/repos.js"
import { loadRepo } from "../rpm/repo-metadata.js"
import { joinUrl } from "../rpm/fetch.js"
import { asRpmError } from "../rpm/error.js"
import { Pool } from "../../solver/pool.js"
import { addMdRepo } from "../../solver/input-md.js"
import { byName, select, selectGlob } from "../../solver/selection.js"
import { solve } from "../../solver/solver.js"
import type { Job } from "../../solver/jobs.js"
import { composeError } from "./error.js"

export interface ResolvedPackage {
  readonly name: string
  /** "0" when the package has none (as in rpmostree.rpmdb.pkglist) */
  readonly epoch: string
  readonly version: string
  readonly release: string
  readonly arch: string
  readonly nevra: string
  readonly repo: string
  readonly url: string
  readonly checksum: { readonly type: string; readonly value: string }
  readonly size: number
}

export interface ResolveOptions {
  readonly treefile: Treefile
  /** The treefile's path: its directory holds the `*.repo` files. */
  readonly treefilePath: string
  /** Repository metadata cache root (default: none). */
  readonly metadataCache?: string
  /** Hears of each repository the resolution loaded: its id and when its metadata was generated (rpmostree.rpmmd-repos). */
  readonly onRepo?: (repo: RpmmdRepo) => void
}

/** A repository a compose used, as `rpmostree.rpmmd-repos` records it. */
export interface RpmmdRepo {
  readonly id: string
  /** repomd's newest timestamp, seconds since the epoch (0 when it gives none). */
  readonly timestamp: number
}

/** createrepo_c writes the pkgid with the repository's checksum type; its length tells which. */
const checksumType = (hex: string): string => (hex.length === 128 ? "sha512" : hex.length === 96 ? "sha384" : hex.length === 40 ? "sha1" : "sha256")

export const nevraOf = (p: { name: string; epoch: string; version: string; release: string; arch: string }): string =>
  `${p.name}-${p.epoch && p.epoch !== "0" ? `${p.epoch}:` : ""}${p.version}-${p.release}.${p.arch}`

export const resolvePackages = async ({ treefile: tf, treefilePath, metadataCache, onRepo }: ResolveOptions): Promise<ResolvedPackage[]> => {
  const op = "compose resolve"
  const vars: Record<string, string> = { basearch: tf.basearch, arch: tf.basearch, ...(tf.releasever !== undefined ? { releasever: tf.releasever } : {}) }
  const configs = await loadRepoConfigs({ reposDir: dirname(treefilePath), vars }).catch((e) => {
    throw asRpmError(e, op)
  })
  const repoPackages = tf["repo-packages"] ?? []
  // the repos repo-packages name are used even when `repos` does not list them
  const listed = tf.repos.length ? tf.repos : configs.filter((c) => c.enabled).map((c) => c.id)
  const wanted = [...new Set([...listed, ...repoPackages.map((r) => r.repo)])]
  const missing = wanted.filter((id) => !configs.some((c) => c.id === id))
  if (missing.length) throw composeError(op, "NotFound", `repo${missing.length > 1 ? "s" : ""} not found in the *.repo files next to the treefile: ${missing.join(", ")}`, dirname(treefilePath))
  if (!wanted.length) throw composeError(op, "Invalid", "no repositories (no `repos` in the treefile and no enabled *.repo next to it)")
  const pool = new Pool({ arch: tf.basearch })
  for (const id of wanted) {
    const repo = configs.find((c) => c.id === id)!
    const index = await loadRepo({ repo, ...(metadataCache ? { cacheDir: metadataCache } : {}) })
    onRepo?.({ id, timestamp: index.generated ?? 0 })
    // the URL each package is fetched from is kept with its record
    const packages = index.packages.map((p) => Object.assign(Object.create(null) as object, p, { strataRepo: id, strataUrl: joinUrl(index.baseurl, p.location) }) as MdPackage)
    addMdRepo(pool, { name: id, priority: repo.priority, packages })
  }
  pool.finalize()
  for (const g of tf["exclude-packages"]) for (const s of selectGlob(pool, g)) pool.exclude(s)
  const jobs: Job[] = []
  const notFound: string[] = []
  for (const spec of tf.packages) {
    const what = select(pool, spec)
    if (!what.solvables.length) notFound.push(spec)
    else jobs.push({ op: "install", what })
  }
  // repo-packages: these come from that repo only — the same names in every other repo are
  // excluded, so neither the request nor a dependency can pick them up elsewhere (rpm-ostree)
  for (const { repo, packages } of repoPackages) {
    for (const spec of packages) {
      const all = select(pool, spec)
      const fromRepo = all.solvables.filter((s) => pool.repoOf(s).name === repo)
      if (!fromRepo.length) {
        notFound.push(`${spec} (in repo ${repo})`)
        continue
      }
      const names = new Set(fromRepo.map((s) => pool.name.data[s]))
      for (const n of names) for (const s of byName(pool, pool.strings.str(n!))) if (pool.repoOf(s).name !== repo) pool.exclude(s)
      jobs.push({ op: "install", what: { ...all, solvables: fromRepo } })
    }
  }
  if (notFound.length) throw composeError(op, "NotFound", `Packages not found: ${notFound.join(", ")}`)
  const r = solve(pool, { jobs, ignoreRecommends: !tf.recommends })
  if (!r.ok) {
    const n = r.problems.length
    throw composeError(op, "Invalid", `Could not depsolve transaction; ${n} problem${n > 1 ? "s" : ""} detected: ${r.problems.map((p) => [p.summary, ...p.rules.slice(1)].join("; ")).join(" | ")}`)
  }
  const out: ResolvedPackage[] = r.transaction.installs.map((s) => {
    const p = pool.data[s] as MdPackage & { strataRepo: string; strataUrl: string }
    const epoch = p.epoch || "0"
    return {
      name: p.name, epoch, version: p.version, release: p.release, arch: p.arch,
      nevra: nevraOf({ ...p, epoch }), repo: p.strataRepo, url: p.strataUrl,
      checksum: { type: checksumType(p.pkgid), value: p.pkgid.toLowerCase() }, size: p.sizePackage,
    }
  })
  return out.sort((a, b) => (a.nevra < b.nevra ? -1 : a.nevra > b.nevra ? 1 : 0))
}

/** Where the repository metadata cache lives under a compose cachedir. */
export const metadataCacheDir = (cachedir: string): string => join(cachedir, "repomd")
