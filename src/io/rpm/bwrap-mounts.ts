/**
 * Scratch mounts for running a program inside a tree with bubblewrap. In a tree composed for
 * OSTree, `/tmp` is the symlink `tmp → sysroot/tmp` (FORMATS.md 7.2) whose target does not exist,
 * and bubblewrap cannot mount a tmpfs through a dangling symlink. So, as on a booted system, the
 * symlink's parent (`/sysroot`) gets a tmpfs and the target directory is made inside it — nothing
 * is created in the tree itself.
 */
import { lstatSync, readlinkSync } from "node:fs"
import { join, posix } from "node:path"

const isDir = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false

/** bwrap arguments giving `root` a private, empty, writable /tmp and /run. */
export const scratchMounts = (root: string): string[] => {
  const out: string[] = []
  const tmp = lstatSync(join(root, "tmp"), { throwIfNoEntry: false })
  if (tmp?.isSymbolicLink()) {
    const target = posix.resolve("/", readlinkSync(join(root, "tmp")))
    const parent = posix.dirname(target)
    if (parent !== "/" && isDir(join(root, parent))) out.push("--tmpfs", parent, "--dir", target)
    else if (target !== "/" && isDir(join(root, target))) out.push("--tmpfs", target)
  } else out.push("--tmpfs", "/tmp")
  out.push("--tmpfs", "/run")
  return out
}

let rofiles: boolean | undefined

/** rofiles-fuse (Debian's ostree package) and a FUSE device to mount it with. */
export const rofilesAvailable = (): boolean => {
  if (rofiles === undefined) {
    const fuse = lstatSync("/dev/fuse", { throwIfNoEntry: false })?.isCharacterDevice() ?? false
    rofiles = fuse && (process.env["PATH"] ?? "/usr/bin:/bin").split(":").some((d) => d && lstatSync(join(d, "rofiles-fuse"), { throwIfNoEntry: false }) !== undefined)
  }
  return rofiles
}
