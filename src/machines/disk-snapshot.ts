/**
 * The disk as reconciliation sees it: what ostree reads (loadSysroot: the boot list, and the
 * staged deployment when the run directory is read), plus the deployment directories nothing
 * boots. Read-only, and free of the event schemas, so `strata status` can use it cheaply.
 */
import type { DeploymentRecord, SysrootSnapshot } from "../events/types/system.js"
import { allDeploymentDirs } from "../io/sysroot/deployment-dirs.js"
import { sameDeployment } from "../io/sysroot/plan.js"
import { loadSysroot, readOrigin } from "../io/sysroot/read-state.js"
import { readStagedInfo } from "../io/sysroot/staged.js"
import type { Deployment } from "../io/sysroot/types.js"

/** The disk as a snapshot: the boot list (staged first, when the run directory is read), the other deployment directories, the booted one. */
export const readDiskSnapshot = async (sysroot: string, runDir?: string): Promise<SysrootSnapshot> => {
  const state = await loadSysroot({ sysroot, ...(runDir ? { runDir } : {}) })
  const info = runDir && state.staged ? await readStagedInfo(runDir) : undefined
  const record = (d: Deployment): DeploymentRecord => ({
    stateroot: d.stateroot,
    checksum: d.checksum,
    serial: d.serial,
    ...(d.bootcsum ? { bootcsum: d.bootcsum } : {}),
    ...(d.origin ? { origin: d.origin } : {}),
    pinned: d.pinned,
    staged: !!d.staged,
    ...(!d.staged ? { kargs: d.kargs } : {}),
    ...(d.version !== undefined ? { version: d.version } : {}),
    ...(d.staged && info ? { stage: info } : {}),
  })
  const unlisted: DeploymentRecord[] = []
  for (const d of await allDeploymentDirs(sysroot)) {
    if (state.deployments.some((x) => sameDeployment(x, d))) continue
    const origin = await readOrigin(sysroot, d)
    unlisted.push({ ...d, ...(origin.text ? { origin: origin.text } : {}), pinned: origin.pinned, staged: false })
  }
  return {
    bootversion: state.bootversion,
    subbootversion: state.subbootversion,
    deployments: state.deployments.map(record),
    ...(unlisted.length ? { unlisted } : {}),
    ...(state.bootedIndex !== undefined ? { booted: state.bootedIndex } : {}),
  }
}

