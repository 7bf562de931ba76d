/**
 * The initramfs of a composed tree, after the kernel is placed (rpm-ostree's
 * process_kernel_and_initramfs): dracut from the tree itself, in bubblewrap
 * (src/io/initramfs/regenerate.ts), with the treefile's `initramfs-args` — or `--no-hostonly`
 * when it has none — written over `usr/lib/modules/KVER/initramfs.img`. `no-initramfs: true`: no
 * image at all (the kernel package's own is removed, as rpm-ostree always removes it).
 *
 * Difference from rpm-ostree, which requires dracut in every bootable tree: a tree without
 * /usr/bin/dracut keeps the image its kernel package shipped; asking for `initramfs-args` there is
 * an error rather than arguments silently unused.
 */
import { rmSync } from "node:fs"
import { join } from "node:path"
import type { Treefile } from "../../formats/treefile.js"
import { InitramfsError } from "../initramfs/error.js"
import { hasDracut, regenerateInitramfs } from "../initramfs/regenerate.js"
import { composeError } from "./error.js"

/** What the tree's initramfs is now: made by dracut, the package's own, or none. */
export type ComposedInitramfs = "dracut" | "packaged" | "none"

export const composeInitramfs = async (root: string, kver: string, tf: Treefile): Promise<ComposedInitramfs> => {
  if (tf["no-initramfs"]) {
    rmSync(join(root, "usr/lib/modules", kver, "initramfs.img"), { force: true })
    return "none"
  }
  const args = tf["initramfs-args"]
  if (!hasDracut(root)) {
    if (args !== undefined) throw composeError("compose initramfs", "Unsupported", `initramfs-args: the tree has no /usr/bin/dracut to pass them to (add dracut to packages, or drop initramfs-args)`)
    return "packaged"
  }
  try {
    await regenerateInitramfs({ root, kver, ...(args !== undefined ? { baseArgs: args } : {}) })
  } catch (e) {
    if (e instanceof InitramfsError) throw composeError("compose initramfs", e.reason, e.detail)
    throw e
  }
  return "dracut"
}
