/**
 * Where everything lives in a sysroot (FORMATS.md §6.1), as functions of the sysroot path, plus
 * the two steps that create the skeleton: `initFs` (`ostree admin init-fs`) and `osInit`
 * (`ostree admin os-init`, 2022.7 layout). Both only create what is missing, so re-running them
 * after a crash finishes the job.
 */
import { chmod, lstat, mkdir, symlink } from "node:fs/promises"
import { initRepo } from "../repo/repo.js"
import { SysrootError, sysFsError } from "./error.js"
import { isMissing, touch } from "./fs-ops.js"

export type BootVersion = 0 | 1

export interface DeploymentId {
  readonly stateroot: string
  readonly checksum: string
  readonly serial: number
}

export const repoPath = (sysroot: string): string => `${sysroot}/ostree/repo`
export const deployRoot = (sysroot: string): string => `${sysroot}/ostree/deploy`
export const staterootPath = (sysroot: string, stateroot: string): string => `${sysroot}/ostree/deploy/${stateroot}`
export const staterootVarPath = (sysroot: string, stateroot: string): string => `${staterootPath(sysroot, stateroot)}/var`
export const staterootDeployPath = (sysroot: string, stateroot: string): string => `${staterootPath(sysroot, stateroot)}/deploy`
export const deploymentName = (d: Pick<DeploymentId, "checksum" | "serial">): string => `${d.checksum}.${d.serial}`
export const deploymentPath = (sysroot: string, d: DeploymentId): string =>
  `${staterootDeployPath(sysroot, d.stateroot)}/${deploymentName(d)}`
export const originPath = (sysroot: string, d: DeploymentId): string => `${deploymentPath(sysroot, d)}.origin`

/** `ostree/boot.$B`, the symlink to the active sub-bootversion directory of bootversion B. */
export const bootlinkPath = (sysroot: string, b: BootVersion): string => `${sysroot}/ostree/boot.${b}`
/** `ostree/boot.$B.$S`, a directory of `$stateroot/$bootcsum/$bootserial` symlinks. */
export const subbootPath = (sysroot: string, b: BootVersion, s: BootVersion): string => `${sysroot}/ostree/boot.${b}.${s}`
/** The target a bootlink holds: relative, so it resolves inside any mount of the sysroot. */
export const bootlinkTarget = (d: DeploymentId): string => `../../../deploy/${d.stateroot}/deploy/${deploymentName(d)}`
/** The `ostree=` kernel argument value. */
export const ostreeKargValue = (b: BootVersion, stateroot: string, bootcsum: string, bootserial: number): string =>
  `/ostree/boot.${b}/${stateroot}/${bootcsum}/${bootserial}`

export const bootPath = (sysroot: string): string => `${sysroot}/boot`
export const loaderLinkPath = (sysroot: string): string => `${sysroot}/boot/loader`
export const loaderTmpPath = (sysroot: string): string => `${sysroot}/boot/loader.tmp`
export const loaderDirPath = (sysroot: string, b: BootVersion): string => `${sysroot}/boot/loader.${b}`
export const entriesPath = (sysroot: string, b: BootVersion): string => `${sysroot}/boot/loader.${b}/entries`
/** `ostree-$N-$stateroot.conf`, N = count − index (ostree 2022.7 naming). */
export const entryFileName = (n: number, index: number, stateroot: string): string => `ostree-${n - index}-${stateroot}.conf`
/** Kernel files of one bootcsum: `/boot/ostree/$stateroot-$bootcsum/` (BLS paths omit `/boot`). */
export const bootcsumDirName = (stateroot: string, bootcsum: string): string => `${stateroot}-${bootcsum}`
export const bootcsumPath = (sysroot: string, stateroot: string, bootcsum: string): string =>
  `${sysroot}/boot/ostree/${bootcsumDirName(stateroot, bootcsum)}`
/** The repo ref that keeps deployment `i` of (B, S) from being pruned. */
export const deploymentRefName = (b: BootVersion, s: BootVersion, i: number): string => `ostree/${b}/${s}/${i}`

/** ostree's stateroot names: a single path component. */
export const validateStateroot = (stateroot: string, op: string): void => {
  if (!stateroot || stateroot.includes("/") || stateroot === "." || stateroot === ".." || /[\0\n]/.test(stateroot)) {
    throw new SysrootError({ op, reason: "Invalid", detail: `invalid stateroot name "${stateroot}"` })
  }
}

export type SysrootArg = string | { readonly sysroot: string }
export const sysrootOf = (a: SysrootArg): string => (typeof a === "string" ? a : a.sysroot)

/** mkdir that reports whether it created the directory; an existing directory is fine. */
const ensureDir = async (path: string, mode: number, created: string[], op: string): Promise<void> => {
  try {
    await mkdir(path, { mode })
    await chmod(path, mode) // mkdir's mode is filtered by the umask; ostree's 1777 tmp is not
    created.push(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw sysFsError(op, path, e)
    const st = await lstat(path)
    if (!st.isDirectory()) throw new SysrootError({ op, path, reason: "AlreadyExists", detail: "exists and is not a directory" })
  }
}

const ensureSymlink = async (target: string, path: string, created: string[], op: string): Promise<void> => {
  try {
    await symlink(target, path)
    created.push(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw sysFsError(op, path, e)
  }
}

export interface CreatedReport {
  /** Paths this call created (in creation order); undo removes them in reverse. */
  readonly created: string[]
}

/**
 * `ostree admin init-fs PATH`: the traditional top-level directories, `ostree/deploy` and a bare
 * `ostree/repo`. Undo: nothing to undo that matters (empty directories); the report lists them.
 */
export const initFs = async (arg: SysrootArg): Promise<CreatedReport> => {
  const sysroot = sysrootOf(arg)
  const op = "init-fs"
  const created: string[] = []
  await mkdir(sysroot, { recursive: true }).catch((e) => { throw sysFsError(op, sysroot, e) })
  for (const d of ["boot", "dev", "home", "proc", "run", "sys"]) await ensureDir(`${sysroot}/${d}`, 0o755, created, op)
  await ensureDir(`${sysroot}/root`, 0o700, created, op)
  await ensureDir(`${sysroot}/tmp`, 0o1777, created, op)
  await ensureDir(`${sysroot}/ostree`, 0o755, created, op)
  const repoExisted = await lstat(`${repoPath(sysroot)}/objects`).then(() => true, () => false)
  await initRepo({ path: repoPath(sysroot), mode: "bare" })
  if (!repoExisted) created.push(repoPath(sysroot))
  await ensureDir(deployRoot(sysroot), 0o755, created, op)
  return { created }
}

/**
 * `ostree admin os-init STATEROOT` as 2022.7 lays it out: `ostree/deploy/$os/var` with `tmp`
 * (1777), `lib`, `log`, and the `run -> ../run`, `lock -> ../run/lock` links. Undo: remove
 * `ostree/deploy/$os` if the report lists it as created.
 */
export const osInit = async (
  opts: string | { readonly sysroot: string; readonly stateroot: string },
  staterootArg?: string,
): Promise<CreatedReport> => {
  // Also callable as osInit(sysroot, stateroot), the shape `ostree admin os-init` suggests.
  const sysroot = typeof opts === "string" ? opts : opts.sysroot
  const stateroot = typeof opts === "string" ? (staterootArg ?? "") : opts.stateroot
  const op = "os-init"
  validateStateroot(stateroot, op)
  try {
    await lstat(deployRoot(sysroot))
  } catch (e) {
    if (isMissing(e)) {
      throw new SysrootError({ op, path: sysroot, reason: "NotFound", code: "NotInitialized", detail: "not an ostree sysroot (no ostree/deploy; run init-fs)" })
    }
    throw sysFsError(op, sysroot, e)
  }
  const created: string[] = []
  const root = staterootPath(sysroot, stateroot)
  await ensureDir(root, 0o755, created, op)
  const v = staterootVarPath(sysroot, stateroot)
  await ensureDir(v, 0o755, created, op)
  await ensureDir(`${v}/tmp`, 0o1777, created, op)
  await ensureDir(`${v}/lib`, 0o755, created, op)
  await ensureDir(`${v}/log`, 0o755, created, op)
  await ensureSymlink("../run", `${v}/run`, created, op)
  await ensureSymlink("../run/lock", `${v}/lock`, created, op)
  await touch(deployRoot(sysroot))
  return { created }
}
