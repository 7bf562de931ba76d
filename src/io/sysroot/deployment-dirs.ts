/**
 * The deployment directories that exist, whether or not a boot entry names them: what cleanup
 * removes when nothing boots them, and what reconciliation compares with the event log.
 */
import { readdir } from "node:fs/promises"
import { deployRoot, staterootDeployPath, type DeploymentId } from "./layout.js"
import { parseDeployName } from "./read-state.js"

/** Every `$checksum.$serial` directory under ostree/deploy/*\/deploy. */
export const allDeploymentDirs = async (sysroot: string): Promise<DeploymentId[]> => {
  const out: DeploymentId[] = []
  const roots = await readdir(deployRoot(sysroot), { withFileTypes: true }).catch(() => [])
  for (const r of roots) {
    if (!r.isDirectory()) continue
    const dir = staterootDeployPath(sysroot, r.name)
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = parseDeployName(e.name)
      if (p && e.isDirectory()) out.push({ stateroot: r.name, ...p })
    }
  }
  return out
}
