/**
 * `rpmostree/base/<i>`: one ref per distinct base of the sysroot's layered deployments (and of
 * the one being made), so pruning — which keeps only what refs name, at depth 0 — never takes
 * a base away from the client-layer commit built on it (rpm-ostree's generate_baselayer_refs).
 * Rewritten whole each time; idempotent.
 */
import { lookup } from "../../formats/gvariant/value.js"
import { loadCommit } from "../repo/object-read.js"
import { listRefs, writeRefNow } from "../repo/refs.js"
import { openRepo } from "../repo/repo.js"
import { repoPath } from "../sysroot/layout.js"
import { loadSysroot } from "../sysroot/read-state.js"
import { baseRef } from "./pkg-ref.js"

export const syncBaseRefs = async ({ sysroot, runDir, extra = [] }: { sysroot: string; runDir?: string; extra?: ReadonlyArray<string> }): Promise<ReadonlyArray<string>> => {
  const repo = await openRepo(repoPath(sysroot))
  const state = await loadSysroot({ sysroot, ...(runDir ? { runDir } : {}) })
  const bases = new Set<string>(extra)
  for (const d of state.deployments) {
    const c = await loadCommit(repo, d.checksum).catch(() => undefined)
    if (c && lookup(c.metadata, "rpmostree.clientlayer")?.value === true && c.parent) bases.add(c.parent)
  }
  const list = [...bases].sort()
  for (const [i, b] of list.entries()) await writeRefNow(repo, "heads", baseRef(i), b)
  for (const r of await listRefs(repo, { heads: true })) {
    const m = /^rpmostree\/base\/(\d+)$/.exec(r.ref)
    if (m && Number(m[1]) >= list.length) await writeRefNow(repo, "heads", r.ref, null)
  }
  return list
}
