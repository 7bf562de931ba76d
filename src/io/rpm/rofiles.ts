/**
 * rofiles-fuse (ostree's tool) views of a tree whose files are hardlinks into shared storage (an
 * OSTree repository's objects, the import cache). Plain: a file with more than one link cannot be
 * opened for writing, chmod-ed or truncated (EROFS), as rpm-ostree runs layering scriptlets.
 * `copyup`: such a write first replaces the file by a private copy (owner, mode, times, xattrs
 * kept), so the script changes the tree and never the shared inode. New files, renames and unlinks
 * work in both.
 */
import { execFile } from "node:child_process"
import { mkdirSync } from "node:fs"

const execAsync = (cmd: string, args: ReadonlyArray<string>): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: "utf8" }, (e, _out, err) => (e ? reject(new Error(`${cmd}: ${err.trim() || e.message}`)) : resolve(err)))
  })

/** Mounts a rofiles-fuse view of `root` at `at` (created; the daemon forks once the mount is up). */
export const mountRofiles = async (root: string, at: string, { copyup = false }: { copyup?: boolean } = {}): Promise<string> => {
  mkdirSync(at)
  try {
    await execAsync("rofiles-fuse", [...(copyup ? ["--copyup"] : []), root, at])
  } catch (e) {
    throw new Error(`rofiles-fuse is needed to run scripts on a hardlinked tree and could not mount it (${(e as Error).message})`)
  }
  return at
}

/** Unmounts it; a failure is left for the admin (callers never remove the mount point recursively). */
export const unmountRofiles = async (at: string): Promise<void> => {
  try {
    await execAsync("umount", [at])
  } catch {
    await execAsync("fusermount", ["-u", at]).catch(() => undefined)
  }
}
