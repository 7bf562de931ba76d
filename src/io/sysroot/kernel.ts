/**
 * Finding the kernel, initramfs and devicetree in a deployment tree, and the bootcsum that names
 * their `/boot/ostree/$stateroot-$bootcsum/` directory (FORMATS.md §6.2, ostree's
 * get_kernel_from_tree*). Directory iteration uses readdir order (opendir), not sorted order,
 * because that is what ostree sees when several `usr/lib/modules/$kver` hold a kernel.
 */
import { createHash, type Hash } from "node:crypto"
import { createReadStream } from "node:fs"
import { opendir, readdir, stat } from "node:fs/promises"
import { SysrootError, sysFsError } from "./error.js"
import { isMissing } from "./fs-ops.js"

export interface KernelFile {
  /** Absolute path of the file inside the deployment. */
  readonly src: string
  /** Its name under `/boot/ostree/$stateroot-$bootcsum/`. */
  readonly name: string
}

export interface KernelLayout {
  readonly layout: "modules" | "legacy"
  /** `usr/lib/modules/$kver`, `usr/lib/ostree-boot` or `boot`, absolute. */
  readonly dir: string
  readonly kver?: string
  readonly kernel: KernelFile
  readonly initramfs?: KernelFile
  readonly devicetree?: KernelFile
  /** A whole `dtb/` directory (modules layout), copied as is and named by BLS `fdtdir`. */
  readonly dtbDir?: KernelFile
  readonly hmac?: KernelFile
  /** SHA-256 hex; empty when found with `hash: false` on the modules layout. */
  readonly bootcsum: string
}

const HEX64 = /^[0-9a-f]{64}$/

const hashFile = (h: Hash, path: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const s = createReadStream(path)
    s.on("data", (c) => h.update(c))
    s.on("end", () => resolve())
    s.on("error", reject)
  })

/** stat (following symlinks, as fstatat(…, 0) does), or undefined when absent. */
const statOpt = async (p: string) => {
  try {
    return await stat(p)
  } catch (e) {
    if (isMissing(e)) return undefined
    throw e
  }
}

/** checksum_dir_recurse: names strcmp-sorted per directory, contents only. */
const hashDir = async (h: Hash, dir: string): Promise<void> => {
  const names = (await readdir(dir)).sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))))
  for (const n of names) {
    const p = `${dir}/${n}`
    const st = await statOpt(p)
    if (!st) continue
    if (st.isDirectory()) await hashDir(h, p)
    else await hashFile(h, p)
  }
}

const fromModules = async (root: string, hash: boolean): Promise<KernelLayout | undefined> => {
  const modules = `${root}/usr/lib/modules`
  let dir
  try {
    dir = await opendir(modules)
  } catch (e) {
    if (isMissing(e)) return undefined
    throw e
  }
  let kver: string | undefined
  for await (const ent of dir) {
    if (!ent.isDirectory()) continue
    const st = await statOpt(`${modules}/${ent.name}/vmlinuz`)
    if (!st?.isFile()) continue
    kver = ent.name
    break
  }
  if (kver === undefined) return undefined
  const base = `${modules}/${kver}`
  const h = createHash("sha256")
  if (hash) await hashFile(h, `${base}/vmlinuz`)
  let initramfs: KernelFile | undefined
  for (const n of ["initramfs.img", "initramfs"]) {
    if (await statOpt(`${base}/${n}`)) {
      initramfs = { src: `${base}/${n}`, name: `initramfs-${kver}.img` }
      if (hash) await hashFile(h, initramfs.src)
      break
    }
  }
  let devicetree: KernelFile | undefined
  let dtbDir: KernelFile | undefined
  if (await statOpt(`${base}/devicetree`)) {
    devicetree = { src: `${base}/devicetree`, name: `devicetree-${kver}` }
    if (hash) await hashFile(h, devicetree.src)
  } else if ((await statOpt(`${base}/dtb`))?.isDirectory()) {
    dtbDir = { src: `${base}/dtb`, name: "dtb" }
    if (hash) await hashDir(h, dtbDir.src)
  }
  const hmac = (await statOpt(`${base}/.vmlinuz.hmac`)) ? { src: `${base}/.vmlinuz.hmac`, name: `.vmlinuz-${kver}.hmac` } : undefined
  return {
    layout: "modules",
    dir: base,
    kver,
    kernel: { src: `${base}/vmlinuz`, name: `vmlinuz-${kver}` },
    ...(initramfs ? { initramfs } : {}),
    ...(devicetree ? { devicetree } : {}),
    ...(dtbDir ? { dtbDir } : {}),
    ...(hmac ? { hmac } : {}),
    bootcsum: hash ? h.digest("hex") : "",
  }
}

/** `vmlinuz-…-<sha256>` style names in usr/lib/ostree-boot or boot; the suffix is the bootcsum. */
const fromLegacy = async (root: string, op: string): Promise<KernelLayout | undefined> => {
  let base: string | undefined
  let dir
  for (const sub of ["usr/lib/ostree-boot", "boot"]) {
    try {
      dir = await opendir(`${root}/${sub}`)
      base = `${root}/${sub}`
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
    }
  }
  if (!dir || !base) return undefined
  const found: Partial<Record<"vmlinuz" | "initramfs" | "devicetree", { name: string; csum: string; src: string }>> = {}
  for await (const ent of dir) {
    const name = ent.name
    const kind = (["vmlinuz", "initramfs", "devicetree"] as const).find((k) => name.startsWith(`${k}-`))
    if (!kind || found[kind]) continue
    const dash = name.lastIndexOf("-")
    const csum = name.slice(dash + 1)
    if (!HEX64.test(csum)) continue
    found[kind] = { name: name.slice(0, dash), csum, src: `${base}/${name}` }
    if (found.vmlinuz && found.initramfs && found.devicetree) break
  }
  const k = found.vmlinuz
  if (!k) return undefined
  for (const other of [found.initramfs, found.devicetree]) {
    if (other && other.csum !== k.csum) {
      throw new SysrootError({ op, path: base, reason: "Invalid", code: "NoKernel", detail: `mismatched kernel checksum vs ${other.name}` })
    }
  }
  return {
    layout: "legacy",
    dir: base,
    kernel: { src: k.src, name: k.name },
    ...(found.initramfs ? { initramfs: { src: found.initramfs.src, name: found.initramfs.name } } : {}),
    ...(found.devicetree ? { devicetree: { src: found.devicetree.src, name: found.devicetree.name } } : {}),
    bootcsum: k.csum,
  }
}

export interface FindKernelOptions {
  /** The deployment (or any checked-out tree) to look in. */
  readonly root: string
  /** Compute the bootcsum of a modules layout (default true). Legacy names carry it anyway. */
  readonly hash?: boolean
  readonly op?: string
}

/**
 * get_kernel_from_tree: prefer `usr/lib/modules/$kver`, unless it has no initramfs and the legacy
 * layout has one. Throws SysrootError code NoKernel when neither layout holds a kernel.
 */
export const findKernel = async (opts: FindKernelOptions): Promise<KernelLayout> => {
  const { root, hash = true, op = "find kernel" } = opts
  let modules: KernelLayout | undefined
  let legacy: KernelLayout | undefined
  try {
    modules = await fromModules(root, hash)
    legacy = await fromLegacy(root, op)
  } catch (e) {
    throw sysFsError(op, root, e)
  }
  if (!legacy) {
    if (modules) return modules
    throw new SysrootError({
      op, path: root, reason: "NotFound", code: "NoKernel",
      detail: "failed to find kernel in /usr/lib/modules, /usr/lib/ostree-boot or /boot",
    })
  }
  if (modules && !(modules.initramfs === undefined && legacy.initramfs !== undefined)) return modules
  return legacy
}
