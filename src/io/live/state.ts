/**
 * Where the live state of a booted deployment lives (rpm-ostree's rust/src/live.rs layout,
 * reimplemented):
 * - `$runDir/ostree/deployment-state/$csum.$serial/` — ostree's transient per-deployment state:
 *   `unlocked` (ostree admin unlock: "transient", "development", "hotfix") and rpm-ostree's
 *   `rpmostree-is-live.stamp` (the deployment has live changes). Gone at reboot with /run.
 * - repo refs `rpmostree/live-apply` (the commit the live /usr shows) and
 *   `rpmostree/live-apply-inprogress` (an apply targeting this commit did not finish). They
 *   outlive a reboot, so they count only while the stamp exists.
 * - `$runDir/strata/live/$csum.$serial/{upper,work}`: the overlay's upper and work dirs (strata's
 *   choice; ostree's transient unlock puts them in /var/tmp). On the run dir's tmpfs, so they go
 *   with the boot, like the overlay.
 *
 * `liveRoot()` is the path that is the running root: `/`, or STRATA_LIVE_ROOT — a test seam so a
 * test can stand a bind mount of a deployment in for `/` inside a private mount namespace. It is
 * read only where the booted deployment is detected and where the live overlay goes.
 */
import { readFileSync, realpathSync } from "node:fs"
import { access, mkdir, readFile, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { readRef, writeRefNow } from "../repo/refs.js"
import type { Repo } from "../repo/repo.js"
import { sysFsError } from "../sysroot/error.js"

export interface DeploymentId {
  readonly checksum: string
  readonly serial: number
}

export const LIVE_REF = "rpmostree/live-apply"
export const LIVE_REF_INPROGRESS = "rpmostree/live-apply-inprogress"
const STAMP = "rpmostree-is-live.stamp"

/** Resolved, because /proc/self/mountinfo names mount points by their real path. */
export const liveRoot = (): string => {
  const given = process.env["STRATA_LIVE_ROOT"]
  return given ? realpathSync(given) : "/"
}

const idOf = (d: DeploymentId): string => `${d.checksum}.${d.serial}`
export const runstateDir = (runDir: string, d: DeploymentId): string => join(runDir, "ostree", "deployment-state", idOf(d))
export const overlayDir = (runDir: string, d: DeploymentId): string => join(runDir, "strata", "live", idOf(d))

/** This boot's id: a recorded one that differs means the system rebooted since. */
export const bootId = (): string => {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()
  } catch {
    return "unknown"
  }
}

/** ostree's unlocked state of a deployment in this boot ("none" without the file). */
export const readUnlocked = async (runDir: string, d: DeploymentId): Promise<string> =>
  (await readFile(join(runstateDir(runDir, d), "unlocked"), "utf8").catch(() => "none")).trim() || "none"

export const writeUnlocked = async (runDir: string, d: DeploymentId, state: string | undefined): Promise<void> => {
  const dir = runstateDir(runDir, d)
  const p = join(dir, "unlocked")
  try {
    if (state === undefined) await rm(p, { force: true })
    else {
      await mkdir(dir, { recursive: true, mode: 0o755 })
      await writeFile(p, state, { mode: 0o644 })
    }
  } catch (e) {
    throw sysFsError("apply-live: unlocked state", p, e)
  }
}

export interface LiveState {
  /** The commit the live /usr shows (rpm-ostree: live-replaced). */
  readonly commit?: string
  /** An apply that did not finish was targeting this commit (rpm-ostree: live-inprogress). */
  readonly inprogress?: string
}

export const hasLiveStamp = (runDir: string, d: DeploymentId): Promise<boolean> => access(join(runstateDir(runDir, d), STAMP)).then(() => true, () => false)

/** The live state of a deployment, or undefined when it has none in this boot (no stamp). */
export const readLiveState = async (repo: Repo, runDir: string, d: DeploymentId): Promise<LiveState | undefined> => {
  if (!(await hasLiveStamp(runDir, d))) return undefined
  const [commit, inprogress] = await Promise.all([readRef(repo, "heads", LIVE_REF), readRef(repo, "heads", LIVE_REF_INPROGRESS)])
  return { ...(commit ? { commit } : {}), ...(inprogress ? { inprogress } : {}) }
}

/**
 * Records the live state: the refs (absent fields delete them) and, while there is any state,
 * the stamp; with none, the stamp goes too.
 */
export const writeLiveState = async (repo: Repo, runDir: string, d: DeploymentId, s: LiveState): Promise<void> => {
  const dir = runstateDir(runDir, d)
  const stamp = join(dir, STAMP)
  try {
    if (s.commit || s.inprogress) {
      await mkdir(dir, { recursive: true, mode: 0o755 })
      await writeFile(stamp, "")
    }
    await writeRefNow(repo, "heads", LIVE_REF_INPROGRESS, s.inprogress ?? null)
    await writeRefNow(repo, "heads", LIVE_REF, s.commit ?? null)
    if (!s.commit && !s.inprogress) await rm(stamp, { force: true })
  } catch (e) {
    throw sysFsError("apply-live: record the live state", stamp, e)
  }
}
