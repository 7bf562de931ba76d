/**
 * Kernel files in /boot (install_into_boot): `/boot/ostree/$stateroot-$bootcsum/` gets the
 * kernel, initramfs, devicetree / dtb and hmac of a deployment — hardlinked from the deployment
 * when /boot is the same filesystem, else copied to a temporary name, fsynced and renamed, so a
 * crash never leaves a truncated kernel under its final name. Files already there are kept.
 * Also the free-space check that runs before anything is written to /boot.
 */
import { chownSync, chmodSync, closeSync, copyFileSync, fsyncSync, linkSync, lstatSync, openSync, readdirSync, renameSync, statSync } from "node:fs"
import { mkdir, statfs } from "node:fs/promises"
import { SysrootError, sysFsError } from "./error.js"
import { copyEntrySync, isMissing, rmrf } from "./fs-ops.js"
import type { KernelFile, KernelLayout } from "./kernel.js"

const exists = (p: string): boolean => {
  try {
    lstatSync(p)
    return true
  } catch (e) {
    if (isMissing(e)) return false
    throw e
  }
}

const euid = process.geteuid?.() ?? -1

const installFile = (f: KernelFile, dir: string): void => {
  const dest = `${dir}/${f.name}`
  if (exists(dest)) return
  try {
    linkSync(f.src, dest)
    return
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code !== "EXDEV" && code !== "EMLINK" && code !== "EPERM") throw e
  }
  const st = statSync(f.src)
  const tmp = `${dir}/.${f.name}.tmp-${process.pid}`
  copyFileSync(f.src, tmp)
  if (euid === 0) chownSync(tmp, st.uid, st.gid)
  chmodSync(tmp, st.mode & 0o7777)
  const fd = openSync(tmp, "r")
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, dest)
}

export interface InstallKernelOptions {
  readonly kernel: KernelLayout
  /** `/boot/ostree/$stateroot-$bootcsum` (absolute). */
  readonly dir: string
}

/**
 * Installs whatever is missing; returns whether the directory was created by this call (the
 * caller's undo removes only directories it created and nothing references).
 */
export const installKernel = async (opts: InstallKernelOptions): Promise<{ createdDir: boolean }> => {
  const { kernel: k, dir } = opts
  const createdDir = !exists(dir)
  try {
    await mkdir(dir, { recursive: true, mode: 0o775 })
    installFile(k.kernel, dir)
    if (k.initramfs) installFile(k.initramfs, dir)
    if (k.devicetree) installFile(k.devicetree, dir)
    if (k.dtbDir && !exists(`${dir}/${k.dtbDir.name}`)) {
      const tmp = `${dir}/.${k.dtbDir.name}.tmp`
      await rmrf(tmp)
      copyEntrySync(k.dtbDir.src, tmp)
      renameSync(tmp, `${dir}/${k.dtbDir.name}`)
    }
    if (k.hmac) installFile(k.hmac, dir)
  } catch (e) {
    throw sysFsError("install kernel", dir, e)
  }
  return { createdDir }
}

const sizeOf = (p: string): number => {
  const st = statSync(p)
  if (!st.isDirectory()) return st.size
  let n = 0
  for (const name of readdirSync(p)) n += sizeOf(`${p}/${name}`)
  return n
}

/** Bytes a kernel layout needs in a bootcsum directory that does not exist yet. */
export const kernelBytes = (k: KernelLayout): number =>
  [k.kernel, k.initramfs, k.devicetree, k.dtbDir, k.hmac].reduce((n, f) => n + (f ? sizeOf(f.src) : 0), 0)

/** Room kept free for the BLS entries and filesystem metadata. */
export const BOOT_SLACK = 256 * 1024

export interface CheckSpaceOptions {
  /** The /boot directory. */
  readonly boot: string
  readonly neededBytes: number
}

/**
 * Fails with SysrootError(NoSpace) when /boot has less than `neededBytes` + slack available to
 * unprivileged writers. Counts copies even where a hardlink will do, which errs on refusing.
 */
export const checkBootSpace = async (opts: CheckSpaceOptions): Promise<{ available: number }> => {
  let st
  try {
    st = await statfs(opts.boot)
  } catch (e) {
    throw sysFsError("check /boot space", opts.boot, e)
  }
  const available = Number(st.bavail) * Number(st.bsize)
  const need = opts.neededBytes + BOOT_SLACK
  if (available < need) {
    throw new SysrootError({
      op: "write bootloader", path: opts.boot, reason: "NoSpace", code: "NoSpace",
      detail: `not enough space in /boot: ${need} bytes needed, ${available} available`,
    })
  }
  return { available }
}
