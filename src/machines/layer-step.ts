/**
 * The `assemble` step of the layering machines (LayerRequested → LayerCommitted): build the
 * client-layer commit for the new deployment (src/io/layer), keep its base alive with the
 * `rpmostree/base/<i>` refs, and pick the deployment's serial. With no layering state left in
 * the origin (a reset), the base itself is deployed.
 *
 * Idempotent: the build starts from an empty work dir and writes only content-addressed
 * objects and refs a re-run writes the same way. The finished work tree is left as the commit's
 * checkout for the prepare step to rename into place (src/io/sysroot/prepared-tree.ts). Undo
 * removes the work dir (a kill mid-build leaves it) and any prepared tree; the content cache and
 * the commit's objects stay, like a pull's.
 * Crash point: step:layered.
 */
import { rmSync } from "node:fs"
import { syncBaseRefs } from "../io/layer/base-refs.js"
import { buildLayeredCommit, layerWorkDir } from "../io/layer/build.js"
import { planDeployment } from "../io/sysroot/deployment.js"
import { deploymentPath } from "../io/sysroot/layout.js"
import { dropPreparedTrees } from "../io/sysroot/prepared-tree.js"
import { hasLayerState, parseLayerState } from "../io/sysroot/origin-layers.js"
import { LayerCommitted, LayerRequested, type LayerData } from "../events/types/layer.js"
import { crashPoint } from "./runtime/crash.js"
import type { UndoFn } from "./runtime/definition.js"
import { txnStep } from "./runtime/step.js"

export const assembleStep = txnStep({
  intent: LayerRequested,
  fact: LayerCommitted,
  run: async (req, { sysroot }) => {
    const layered = hasLayerState(parseLayerState(req.origin))
    const r = layered
      ? await buildLayeredCommit({
          sysroot,
          base: req.base,
          origin: req.origin,
          configRoot: deploymentPath(sysroot, req.config),
          localFiles: Object.fromEntries(req.localFiles.map((l) => [l.sha256, l.path])),
          // the work tree becomes the deployment (prepare step) instead of a second checkout
          prepareTree: true,
        })
      : { commit: req.base, installed: [], removed: [], replaced: [], inactive: [] }
    await syncBaseRefs({ sysroot, extra: layered ? [req.base] : [] })
    const { serial } = await planDeployment({ sysroot, stateroot: req.stateroot, commit: r.commit })
    crashPoint("step:layered") // the commit exists, its fact not yet written
    return {
      ...req,
      commit: r.commit,
      serial,
      installed: [...r.installed],
      removed: [...r.removed],
      replaced: r.replaced.map(([n, o]) => ({ new: n, old: o })),
      inactive: [...r.inactive],
    }
  },
})

export const assembleUndo: Record<string, UndoFn> = {
  LayerRequested: async (e, ctx) => {
    const req = e.data as LayerData
    const work = layerWorkDir(ctx.sysroot, req.base)
    rmSync(work, { recursive: true, force: true })
    rmSync(`${work}-pkgs`, { recursive: true, force: true })
    return [work, ...dropPreparedTrees(ctx.sysroot)]
  },
}
