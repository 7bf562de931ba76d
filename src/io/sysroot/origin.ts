/**
 * `.origin` files (FORMATS.md §6.6): a GLib key file beside each deployment directory saying
 * where it came from (`[origin] refspec=`), plus the transient group ostree keeps pins in. Text
 * is kept as given, so a file written by ostree or rpm-ostree round-trips byte for byte.
 */
import { readFile } from "node:fs/promises"
import { emptyKeyfile, getString, parseKeyfile, removeKey, serializeKeyfile, setBoolean, setString, removeGroup } from "../../formats/keyfile.js"
import { SysrootError, sysFsError } from "./error.js"
import { isMissing, touch, unlinkIfExists, writeFileAtomic } from "./fs-ops.js"
import { deployRoot, originPath, type DeploymentId } from "./layout.js"

export const TRANSIENT_GROUP = "libostree-transient"

/** ostree_sysroot_origin_new_from_refspec: `[origin]\nrefspec=<refspec>\n`. */
export const originForRefspec = (refspec: string): string => {
  const kf = emptyKeyfile()
  setString(kf, "origin", "refspec", refspec)
  return serializeKeyfile(kf)
}

const parse = (text: string, op: string) => {
  try {
    return parseKeyfile(text)
  } catch (e) {
    throw new SysrootError({ op, reason: "Invalid", detail: `malformed origin: ${(e as Error).message}` })
  }
}

/** `[origin] refspec` (or rpm-ostree's `baserefspec`), if any. */
export const originRefspec = (origin: string): string | undefined => {
  if (!origin) return undefined
  const kf = parse(origin, "read origin")
  return getString(kf, "origin", "refspec") ?? getString(kf, "origin", "baserefspec")
}

/** Sets or clears `[libostree-transient] pinned`, as ostree_sysroot_deployment_set_pinned does. */
export const originWithPinned = (origin: string, pinned: boolean): string => {
  const kf = parse(origin || "", "pin")
  if (pinned) setBoolean(kf, TRANSIENT_GROUP, "pinned", true)
  else removeKey(kf, TRANSIENT_GROUP, "pinned")
  return serializeKeyfile(kf)
}

/** A new deployment does not inherit transient state (ostree_deployment_origin_remove_transient_state). */
export const originWithoutTransient = (origin: string): string => {
  if (!origin) return origin
  const kf = parse(origin, "origin")
  // The blank line that separated the removed group stays with the previous one; drop it so the
  // result is what a fresh key file with the remaining groups serialises to.
  return removeGroup(kf, TRANSIENT_GROUP) ? serializeKeyfile(kf).replace(/\n+$/, "\n") : origin
}

export interface WriteOriginOptions {
  readonly sysroot: string
  readonly deployment: DeploymentId
  /** Key file text; "" removes the file. */
  readonly origin: string
  /** fsync before the rename (default true; ostree's write_origin_file does DATASYNC_NEW). */
  readonly sync?: boolean
}

export interface WriteOriginReport {
  readonly path: string
  /** The text that was there before (undefined: there was no file). Undo writes it back. */
  readonly previous?: string
}

/**
 * Replaces a deployment's origin atomically and touches `ostree/deploy` (the "reload" signal).
 * Idempotent. Undo: writeOrigin with `previous` (or "" to remove when there was none).
 */
export const writeOrigin = async (opts: WriteOriginOptions): Promise<WriteOriginReport> => {
  const path = originPath(opts.sysroot, opts.deployment)
  let previous: string | undefined
  try {
    previous = await readFile(path, "utf8")
  } catch (e) {
    if (!isMissing(e)) throw sysFsError("write origin", path, e)
  }
  if (opts.origin === "") await unlinkIfExists(path, "write origin")
  else await writeFileAtomic(path, opts.origin, { sync: opts.sync ?? true, op: "write origin" })
  await touch(deployRoot(opts.sysroot))
  return { path, ...(previous !== undefined ? { previous } : {}) }
}
