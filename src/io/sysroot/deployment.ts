/**
 * Creating and removing deployment directories (FORMATS.md §6.5; ostree's
 * sysroot_initialize_deployment + sysroot_finalize_deployment):
 *
 *   hardlink checkout → find the kernel (bootcsum) → /etc from /usr/etc → three-way /etc merge
 *   → origin → seed the stateroot /var if empty → seal (chattr +i)
 *
 * Every failure before the end removes what this call created, so a typed error (no kernel, an
 * /etc conflict) leaves the sysroot exactly as it was. A crash part-way leaves at most the
 * `$checksum.$serial` directory and its `.origin`: `removeDeployment` is the undo, and calling
 * `prepareDeployment` again with the same `serial` redoes it from scratch.
 */
import { lstatSync, readdirSync, renameSync, rmdirSync } from "node:fs"
import { mkdir, readdir, rmdir } from "node:fs/promises"
import { checkout } from "../repo/checkout.js"
import { takePreparedTree } from "./prepared-tree.js"
import { openRepo } from "../repo/repo.js"
import { revParse } from "../repo/rev.js"
import { SysrootError, sysFsError } from "./error.js"
import { mergeEtc, type EtcDiff } from "./etc-merge.js"
import { copyEntrySync, isMissing, pathExists, rmrf, setImmutable, unlinkIfExists, writeFileAtomic } from "./fs-ops.js"
import { findKernel } from "./kernel.js"
import {
  deploymentPath, originPath, repoPath, staterootDeployPath, staterootVarPath, validateStateroot, type DeploymentId,
} from "./layout.js"
import { writeOrigin } from "./origin.js"
import { commitVersion, loadSysroot, parseDeployName } from "./read-state.js"
import type { Deployment } from "./types.js"

/** Serials in use for (stateroot, checksum), from the directories on disk (allocate_deployserial). */
const usedSerials = async (sysroot: string, stateroot: string, checksum: string): Promise<number[]> => {
  const dir = staterootDeployPath(sysroot, stateroot)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (e) {
    if (isMissing(e)) return []
    throw sysFsError("allocate deployserial", dir, e)
  }
  return names.flatMap((n) => {
    const p = parseDeployName(n)
    return p && p.checksum === checksum && lstatSync(`${dir}/${n}`).isDirectory() ? [p.serial] : []
  })
}

export interface PlanDeploymentOptions {
  readonly sysroot: string
  readonly stateroot: string
  /** A ref, `remote:ref`, checksum or prefix — anything rev-parse takes. */
  readonly commit: string
}

/**
 * Resolves the commit and picks the next free serial (1 + the highest used for this checksum,
 * else 0). Read-only: the runtime records this in its intent event, then calls
 * prepareDeployment with the same `serial`, which makes the step repeatable.
 */
export const planDeployment = async (opts: PlanDeploymentOptions): Promise<DeploymentId> => {
  validateStateroot(opts.stateroot, "deploy")
  const repo = await openRepo(repoPath(opts.sysroot))
  const checksum = await revParse(repo, opts.commit)
  const used = await usedSerials(opts.sysroot, opts.stateroot, checksum)
  return { stateroot: opts.stateroot, checksum, serial: used.length ? Math.max(...used) + 1 : 0 }
}

export interface PrepareDeploymentOptions extends PlanDeploymentOptions {
  /** The `.origin` key file text (see originForRefspec). */
  readonly origin: string
  /** Kernel arguments; default: the merge deployment's (its `ostree=` is rewritten later). */
  readonly kargs?: string
  /** The deployment whose /etc changes (and default kargs) carry over; none = --no-merge. */
  readonly mergeFrom?: DeploymentId & { readonly kargs?: string }
  /** Use this serial (from planDeployment); any leftover directory of that name is replaced. */
  readonly serial?: number
}

export interface PrepareDeploymentReport {
  /** The new deployment; `index` and `bootserial` are -1 until the bootloader side is written. */
  readonly deployment: Deployment
  /** What was written, for undo: removeDeployment({ sysroot, deployment }) removes both paths. */
  readonly path: string
  readonly originPath: string
  /** The stateroot /var was empty and got the commit's /var. Undo: emptyStaterootVar. */
  readonly seededVar: boolean
  readonly etc: { readonly modified: number; readonly removed: number; readonly added: number }
}

const requireStateroot = (sysroot: string, stateroot: string, op: string): void => {
  try {
    if (lstatSync(staterootVarPath(sysroot, stateroot)).isDirectory()) return
  } catch {
    // fall through
  }
  throw new SysrootError({
    op, path: staterootVarPath(sysroot, stateroot), reason: "NotFound", code: "NotInitialized",
    detail: `stateroot "${stateroot}" is not initialized (run os-init)`,
  })
}

/** prepare_deployment_etc: /usr/etc is the default config; /etc becomes a copy of it. */
const prepareEtc = (root: string, op: string): void => {
  const etc = `${root}/etc`
  const usrEtc = `${root}/usr/etc`
  const stEtc = lstatOpt(etc)
  const hasUsrEtc = !!lstatOpt(usrEtc)
  if (stEtc?.isDirectory()) {
    if (readdirSync(etc).length > 0) {
      if (hasUsrEtc) throw new SysrootError({ op, path: root, reason: "Invalid", code: "BadState", detail: "tree contains both /etc and /usr/etc" })
      renameSync(etc, usrEtc) // compatibility: trees that ship /etc get it moved to /usr/etc
    } else if (hasUsrEtc) {
      rmdirSync(etc)
    } else {
      return
    }
  }
  if (lstatOpt(usrEtc)) copyEntrySync(usrEtc, etc)
}

const lstatOpt = (p: string) => {
  try {
    return lstatSync(p)
  } catch (e) {
    if (isMissing(e)) return undefined
    throw e
  }
}

/** prepare_deployment_var (newer ostree): an empty stateroot /var gets the commit's /var. */
const seedVar = async (root: string, varDir: string): Promise<boolean> => {
  const src = `${root}/var`
  if (!lstatOpt(src)?.isDirectory()) return false
  if ((await readdir(varDir)).length > 0) return false
  for (const n of readdirSync(src)) copyEntrySync(`${src}/${n}`, `${varDir}/${n}`)
  return true
}

/** Removes everything inside a stateroot /var (the undo of a seed into an empty one). */
export const emptyStaterootVar = async (opts: { readonly sysroot: string; readonly stateroot: string }): Promise<void> => {
  const v = staterootVarPath(opts.sysroot, opts.stateroot)
  for (const n of await readdir(v).catch(() => [] as string[])) await rmrf(`${v}/${n}`, "empty /var")
}

/**
 * Creates `ostree/deploy/$stateroot/deploy/$checksum.$serial` and its origin, ready to be put in
 * a boot list by writeBootloaderSide. Does not touch /boot or the boot entries.
 */
export const prepareDeployment = async (opts: PrepareDeploymentOptions): Promise<PrepareDeploymentReport> => {
  const { sysroot, stateroot } = opts
  const op = "deploy"
  validateStateroot(stateroot, op)
  requireStateroot(sysroot, stateroot, op)
  const repo = await openRepo(repoPath(sysroot))
  const checksum = await revParse(repo, opts.commit)
  const serial = opts.serial ?? (await planDeployment({ sysroot, stateroot, commit: checksum })).serial
  const id: DeploymentId = { stateroot, checksum, serial }
  const root = deploymentPath(sysroot, id)
  const origin = originPath(sysroot, id)

  // A leftover of an interrupted run is replaced, but a deployment in the boot list never is.
  if (opts.serial !== undefined && (await pathExists(root))) {
    const live = (await loadSysroot({ sysroot })).deployments
    if (live.some((d) => d.stateroot === stateroot && d.checksum === checksum && d.serial === serial)) {
      throw new SysrootError({ op, path: root, reason: "AlreadyExists", code: "BadState", detail: `deployment ${checksum}.${serial} is in the boot list` })
    }
  }
  await removeDeploymentDir(sysroot, id, op)

  let seededVar = false
  const deployDir = staterootDeployPath(sysroot, stateroot)
  const madeDeployDir = !(await pathExists(deployDir))
  try {
    await mkdir(deployDir, { recursive: true, mode: 0o775 })
    // a layered build may have left its work tree as exactly this commit's checkout (prepared-tree.ts)
    if (!takePreparedTree(sysroot, checksum, root)) await checkout(repo, { rev: checksum, destination: root })
    const kernel = await findKernel({ root, op: `${op}: find kernel` })
    let diff: EtcDiff = { modified: [], removed: [], added: [] }
    try {
      prepareEtc(root, `${op}: prepare /etc`)
      if (opts.mergeFrom) diff = mergeEtc({ mergeRoot: deploymentPath(sysroot, opts.mergeFrom), newEtc: `${root}/etc` })
    } catch (e) {
      throw sysFsError(`${op}: /etc`, root, e)
    }
    // systemd ConditionNeedsUpdate: a new deployment must not look already updated.
    await unlinkIfExists(`${root}/etc/.updated`)
    const varDir = staterootVarPath(sysroot, stateroot)
    await unlinkIfExists(`${varDir}/.updated`)
    await writeOrigin({ sysroot, deployment: id, origin: opts.origin })
    seededVar = await seedVar(root, varDir)
    // selinux_relabel_var_if_needed leaves this stamp; ostree relabels /var when it is missing.
    if (!(await pathExists(`${varDir}/.ostree-selabeled`))) await writeFileAtomic(`${varDir}/.ostree-selabeled`, "", { sync: true })
    await setImmutable(root, true)
    const version = await commitVersion(repo, checksum)
    return {
      deployment: {
        ...id,
        bootcsum: kernel.bootcsum,
        bootserial: -1,
        index: -1,
        origin: opts.origin,
        kargs: opts.kargs ?? opts.mergeFrom?.kargs ?? "",
        ...(version !== undefined ? { version } : {}),
        pinned: false,
      },
      path: root,
      originPath: origin,
      seededVar,
      etc: { modified: diff.modified.length, removed: diff.removed.length, added: diff.added.length },
    }
  } catch (e) {
    await removeDeploymentDir(sysroot, id, op).catch(() => undefined)
    if (madeDeployDir) await rmdir(deployDir).catch(() => undefined)
    if (seededVar) await emptyStaterootVar({ sysroot, stateroot }).catch(() => undefined)
    throw e
  }
}

const removeDeploymentDir = async (sysroot: string, id: DeploymentId, op: string): Promise<boolean> => {
  const root = deploymentPath(sysroot, id)
  const existed = await pathExists(root)
  await unlinkIfExists(originPath(sysroot, id), op)
  if (existed) await rmrf(root, op)
  return existed
}

export interface RemoveDeploymentOptions {
  readonly sysroot: string
  readonly deployment: DeploymentId
}

/**
 * Deletes a deployment directory and its origin (clearing the immutable flag first). Refuses one
 * that the active boot entries still list. Idempotent: a missing deployment is success.
 * This is the undo of prepareDeployment, and what cleanup runs on unreferenced deployments.
 */
export const removeDeployment = async (opts: RemoveDeploymentOptions): Promise<{ removed: boolean }> => {
  const { sysroot, deployment: d } = opts
  const state = await loadSysroot({ sysroot })
  if (state.deployments.some((x) => !x.staged && x.stateroot === d.stateroot && x.checksum === d.checksum && x.serial === d.serial)) {
    throw new SysrootError({
      op: "remove deployment", path: deploymentPath(sysroot, d), reason: "Invalid", code: "BadState",
      detail: `deployment ${d.checksum}.${d.serial} is still in the boot entries`,
    })
  }
  return { removed: await removeDeploymentDir(sysroot, d, "remove deployment") }
}
