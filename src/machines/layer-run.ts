/**
 * The library entry of layering (what the CLI and `bench:layer` call): one transaction per
 * edit — `layer` (staged) on a booted system, `layer-deploy` (swapped into the boot list) on an
 * unbooted sysroot.
 *
 *   await layerPackages({ sysroot, install: ["hello", "./x.rpm"] })
 *   await runLayer({ sysroot, runDir, edit: { op: "override-remove", packages: ["foo"], replaceWith: [] } })
 */
import { isLocalRpm, layerDeployTransaction, layerTransaction, localPackage, planLayer, type LayerOutput } from "./layer.js"
import type { LayerEdit } from "./layer-edit.js"
import { runSysrootTransaction } from "./run-sysroot.js"

export interface RunLayerOptions {
  readonly sysroot: string
  /** A booted system's run directory (resolveRunDir): stage. Absent: deploy directly. */
  readonly runDir?: string
  readonly stateroot?: string
  readonly edit: LayerEdit
  readonly localFiles?: ReadonlyArray<{ readonly sha256: string; readonly path: string }>
  readonly onWait?: (message: string) => void
}

export const runLayer = async (o: RunLayerOptions): Promise<{ readonly txn: string; readonly output: LayerOutput }> => {
  const plan = planLayer({ edit: o.edit, ...(o.localFiles ? { localFiles: o.localFiles } : {}), ...(o.stateroot ? { stateroot: o.stateroot } : {}), ...(o.runDir ? { runDir: o.runDir } : {}) })
  const common = { sysroot: o.sysroot, ...(o.runDir ? { runDir: o.runDir } : {}), plan, ...(o.onWait ? { onWait: o.onWait } : {}) }
  const r = o.runDir ? await runSysrootTransaction({ ...common, definition: layerTransaction }) : await runSysrootTransaction({ ...common, definition: layerDeployTransaction })
  return { txn: r.txn, output: r.output as LayerOutput }
}

/** `strata install`: package names and `./file.rpm` paths mixed, as rpm-ostree takes them. */
export const layerPackages = async (o: { readonly sysroot: string; readonly install: ReadonlyArray<string>; readonly runDir?: string; readonly stateroot?: string; readonly idempotent?: boolean; readonly allowInactive?: boolean; readonly onWait?: (m: string) => void }) => {
  const locals = o.install.filter(isLocalRpm).map(localPackage)
  return runLayer({
    sysroot: o.sysroot,
    ...(o.runDir ? { runDir: o.runDir } : {}),
    ...(o.stateroot ? { stateroot: o.stateroot } : {}),
    ...(o.onWait ? { onWait: o.onWait } : {}),
    edit: { op: "install", packages: o.install.filter((a) => !isLocalRpm(a)), locals: locals.map(({ sha256, nevra }) => ({ sha256, nevra })), idempotent: !!o.idempotent, allowInactive: !!o.allowInactive },
    localFiles: locals.map(({ sha256, path }) => ({ sha256, path })),
  })
}
