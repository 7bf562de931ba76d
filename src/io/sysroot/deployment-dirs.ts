/**
 * The deployment directories that exist, whether or not a boot entry names them: what cleanup
 * removes when nothing boots them, and what reconciliation compares with the event log.
 * Synchronous reads, like read-state.ts (status starts no thread pool).
 */
import { readdirSync, type Dirent } from "node:fs"
import { deployRoot, staterootDeployPath, type DeploymentId } from "./layout.js"
import { parseDeployName } from "./read-state.js"

/** Every `$checksum.$serial` directory under ostree/deploy/*\/deploy. */
export const allDeploymentDirs = async (sysroot: string): Promise<DeploymentId[]> => {
  const out: DeploymentId[] = []
  const list = (dir: string): Dirent[] => {
    try {
      return readdirSync(dir, { withFileTypes: true })
    } catch {
      return []
    }
  }
  const roots = list(deployRoot(sysroot))
  for (const r of roots) {
    if (!r.isDirectory()) continue
    const dir = staterootDeployPath(sysroot, r.name)
    for (const e of list(dir)) {
      const p = parseDeployName(e.name)
      if (p && e.isDirectory()) out.push({ stateroot: r.name, ...p })
    }
  }
  return out
}
