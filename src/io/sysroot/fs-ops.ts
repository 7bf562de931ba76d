/**
 * The few filesystem moves every sysroot step is built from, each written so that running it
 * twice is harmless: replacing a symlink is symlink-to-temp + rename, writing a file is
 * write-to-temp + rename, removing is "rm -rf that also clears the immutable bit ostree sets on
 * deployment roots".
 */
import { spawn } from "node:child_process"
import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, readlinkSync, copyFileSync, chownSync, lchownSync, chmodSync, mkdirSync, symlinkSync, utimesSync, unlinkSync } from "node:fs"
import { lstat, rename, symlink, writeFile, unlink, utimes } from "node:fs/promises"
import { createRequire } from "node:module"
import { SysrootError, sysFsError } from "./error.js"
import { removeSync } from "./rm-tree.js"

// The native xattr binding loads on first use: readers of the sysroot (`strata status`, measured
// against `ostree admin status`) never copy metadata and should not pay for it.
type Xattr = typeof import("@napi-rs/xattr")
let xattrModule: Xattr | undefined
const xattr = (): Xattr => (xattrModule ??= createRequire(import.meta.url)("@napi-rs/xattr") as Xattr)

export const pathExists = (p: string): Promise<boolean> => lstat(p).then(() => true, () => false)

export const isMissing = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException)?.code
  return code === "ENOENT" || code === "ENOTDIR"
}

/**
 * chattr ±i: ostree seals every deployment root with the immutable flag (so `rm -rf` by hand
 * fails) and clears it before deleting one. Node has no ioctl, so this runs `chattr`. Failures
 * are ignored, as ostree ignores them: tmpfs and overlayfs do not support the flag.
 */
export const setImmutable = (path: string, on: boolean): Promise<boolean> =>
  new Promise((resolve) => {
    const p = spawn("chattr", [on ? "+i" : "-i", path], { stdio: "ignore" })
    p.on("error", () => resolve(false))
    p.on("exit", (code) => resolve(code === 0))
  })

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code

/**
 * rm -rf; a path already gone is success. Clears the immutable flag and retries once on EPERM.
 * Synchronous on purpose (see removeDirSync): the steps that remove trees do nothing else meanwhile.
 */
export const rmrf = async (path: string, op = "remove"): Promise<void> => {
  try {
    removeSync(path)
  } catch (e) {
    if (code(e) !== "EPERM" && code(e) !== "EACCES") throw sysFsError(op, path, e)
    await setImmutable(path, false)
    try {
      removeSync(path)
    } catch (e2) {
      throw sysFsError(op, path, e2)
    }
  }
}

/** unlink that treats "already gone" as done. */
export const unlinkIfExists = async (path: string, op = "unlink"): Promise<boolean> => {
  try {
    await unlink(path)
    return true
  } catch (e) {
    if (isMissing(e)) return false
    throw sysFsError(op, path, e)
  }
}

/** Atomically points `link` at `target` (symlink to `link.tmp`, then rename over `link`). */
export const replaceSymlink = async (target: string, link: string, op = "replace symlink"): Promise<void> => {
  const tmp = `${link}.tmp`
  try {
    await unlink(tmp).catch((e) => { if (!isMissing(e)) throw e })
    await symlink(target, tmp)
    await rename(tmp, link)
  } catch (e) {
    throw sysFsError(op, link, e)
  }
}

/** readlink, or undefined when the path does not exist. A non-link is a BadState error. */
export const readLinkOrUndefined = (path: string, op: string): string | undefined => {
  try {
    return readlinkSync(path)
  } catch (e) {
    if (isMissing(e)) return undefined
    if ((e as NodeJS.ErrnoException).code === "EINVAL") {
      throw new SysrootError({ op, path, reason: "Corrupt", code: "BadState", detail: "not a symbolic link" })
    }
    throw sysFsError(op, path, e)
  }
}

/** Replaces a file's contents atomically; with `sync`, fsyncs the data before the rename. */
export const writeFileAtomic = async (
  path: string,
  data: string | Uint8Array,
  opts: { mode?: number; sync?: boolean; op?: string } = {},
): Promise<void> => {
  const tmp = `${path}.tmp-${process.pid}`
  try {
    await writeFile(tmp, data, { mode: opts.mode ?? 0o644, flush: !!opts.sync })
    await rename(tmp, path)
  } catch (e) {
    await unlink(tmp).catch(() => undefined)
    throw sysFsError(opts.op ?? "write", path, e)
  }
}

/** fsync on a directory: makes renames and creations inside it durable. */
export const fsyncDir = (path: string, op = "fsync"): void => {
  let fd: number | undefined
  try {
    fd = openSync(path, "r")
    fsyncSync(fd)
  } catch (e) {
    throw sysFsError(op, path, e)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Touches `path` (mtime = now), the signal ostree uses for "deployments changed, reload". */
export const touch = async (path: string): Promise<void> => {
  const now = new Date()
  await utimes(path, now, now).catch(() => undefined)
}

const euid = process.geteuid?.() ?? -1

/** Copies xattrs (best effort: a filesystem without them, or security.* without privilege, is skipped). */
const copyXattrs = (src: string, dst: string): void => {
  let names: string[]
  try {
    names = xattr().listAttributesSync(src)
  } catch {
    return
  }
  for (const n of names) {
    try {
      const v = xattr().getAttributeSync(src, n)
      if (v) xattr().setAttributeSync(dst, n, v)
    } catch {
      // An attribute this filesystem or process cannot set is not worth failing a deploy for.
    }
  }
}

/**
 * Copies one entry (file, symlink or directory tree) keeping mode, ownership, xattrs and mtime,
 * like glnx_file_copy_at / copy_dir_recurse. Existing files at `dst` are replaced; existing
 * directories are merged into. Special files (devices, fifos, sockets) are skipped, as ostree
 * skips them in /etc. Synchronous: /etc is small, and this keeps the order of effects plain.
 */
export const copyEntrySync = (src: string, dst: string): void => {
  const st = lstatSync(src)
  if (st.isDirectory()) {
    try {
      mkdirSync(dst, { mode: 0o700 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
      if (!lstatSync(dst).isDirectory()) {
        unlinkSync(dst)
        mkdirSync(dst, { mode: 0o700 })
      }
    }
    for (const name of readdirSync(src)) copyEntrySync(`${src}/${name}`, `${dst}/${name}`)
    // Like copy_dir_recurse, an existing directory takes the source's metadata too.
    copyMeta(src, dst, st)
    return
  }
  if (st.isSymbolicLink()) {
    removeNonDir(dst)
    symlinkSync(readlinkSync(src), dst)
    if (euid === 0) lchownSync(dst, st.uid, st.gid)
    return
  }
  if (!st.isFile()) return
  removeNonDir(dst)
  copyFileSync(src, dst)
  copyMeta(src, dst, st)
}

const removeNonDir = (p: string): void => {
  try {
    unlinkSync(p)
  } catch (e) {
    if (!isMissing(e)) throw e
  }
}

/** Owner (when root), xattrs, permission bits and times of `src` onto `dst`. */
export const copyMetaSync = (src: string, dst: string): void => copyMeta(src, dst, lstatSync(src))

const copyMeta = (src: string, dst: string, st: import("node:fs").Stats): void => {
  if (euid === 0) chownSync(dst, st.uid, st.gid)
  copyXattrs(src, dst)
  chmodSync(dst, st.mode & 0o7777)
  utimesSync(dst, st.atime, st.mtime)
}
