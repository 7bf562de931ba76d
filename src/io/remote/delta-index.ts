/**
 * The static deltas a repo holds (ostree-repo-static-delta-core.c
 * ostree_repo_list_static_delta_names, _ostree_repo_static_delta_reindex): names from
 * `deltas/XX/REST[-TO]/superblock`, and the per-target index `delta-indexes/XX/REST.index`
 * (`ostree.static-deltas` → name → SHA-256 of the superblock) that pulls consult when the
 * summary says `ostree.summary.indexed-deltas`.
 */
import { createHash } from "node:crypto"
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { deltaIndexBytes, deltaIndexPath, deltaName, mb64ToHex, type Checksum } from "../../formats/ostree/index.js"
import type { Repo } from "../repo/repo.js"

export interface DeltaEntry {
  readonly from: Checksum | null
  readonly to: Checksum
  readonly name: string
  readonly dir: string
}

/** Every delta with a superblock, sorted by name. */
export const listDeltas = async (repo: Repo): Promise<DeltaEntry[]> => {
  const base = join(repo.path, "deltas")
  const out: DeltaEntry[] = []
  for (const pre of (await readdir(base).catch(() => [] as string[])).sort()) {
    for (const rest of (await readdir(join(base, pre)).catch(() => [] as string[])).sort()) {
      const [a, b] = `${pre}${rest}`.split("-")
      const from = b === undefined ? null : mb64ToHex(a!)
      const to = mb64ToHex(b ?? a!)
      if (!to || from === undefined) continue
      const dir = join("deltas", pre, rest)
      const ok = await readFile(join(repo.path, dir, "superblock")).then(() => true, () => false)
      if (ok) out.push({ from, to, name: deltaName(from, to), dir })
    }
  }
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
}

/** Rewrites the index of `to` (or of every target), removing indexes of targets without deltas. */
export const reindexDeltas = async (repo: Repo, to?: Checksum): Promise<void> => {
  const all = await listDeltas(repo)
  const targets = new Map<Checksum, DeltaEntry[]>()
  for (const d of all) if (!to || d.to === to) targets.set(d.to, [...(targets.get(d.to) ?? []), d])
  for (const [t, ds] of targets) {
    const entries = []
    for (const d of ds.sort((x, y) => ((x.from ?? "") < (y.from ?? "") ? -1 : 1))) {
      const sb = await readFile(join(repo.path, d.dir, "superblock"))
      entries.push([d.name, createHash("sha256").update(sb).digest()] as const)
    }
    const p = join(repo.path, deltaIndexPath(t))
    await mkdir(dirname(p), { recursive: true, mode: 0o775 })
    await writeFile(`${p}.tmp-${process.pid}`, deltaIndexBytes(entries), { mode: 0o644 })
    await rename(`${p}.tmp-${process.pid}`, p)
  }
  if (to && !targets.has(to)) await rm(join(repo.path, deltaIndexPath(to)), { force: true })
}
