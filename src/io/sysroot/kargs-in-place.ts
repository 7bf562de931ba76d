/**
 * `ostree admin kargs edit-in-place` (ostree_sysroot_deployment_set_kargs_in_place): rewrites the
 * `options` of a deployment's live boot entry, or the `kargs` of the staged deployment's state
 * file, without a new bootversion. Each file is replaced atomically, and writing the same options
 * twice is a no-op, so a re-run after a crash finishes the job.
 */
import { readFile } from "node:fs/promises"
import { parseBls, serializeBls } from "../../formats/bls.js"
import { SysrootError, sysFsError } from "./error.js"
import { fsyncDir, readLinkOrUndefined, writeFileAtomic } from "./fs-ops.js"
import { entriesPath, type DeploymentId } from "./layout.js"
import { ostreeArgOf, parseDeployName, readBootversion, readEntries } from "./read-state.js"
import { setStagedKargs } from "./staged.js"

export interface SetKargsOptions {
  readonly sysroot: string
  readonly deployment: DeploymentId
  /** The whole new `options` line (an `ostree=` in it is kept as given). */
  readonly kargs: string
  /** For the staged deployment: its state file's run directory. */
  readonly runDir?: string
}

/** The entry file of the live side that boots `d` (its `ostree=` link resolves to d's directory). */
const entryFileOf = async (sysroot: string, d: DeploymentId): Promise<string | undefined> => {
  const b = readBootversion(sysroot)
  for (const { file, entry } of await readEntries(sysroot, b)) {
    const arg = ostreeArgOf(entry.options)
    const target = arg ? readLinkOrUndefined(`${sysroot}${arg}`, "kargs") : undefined
    const name = target ? parseDeployName(target.slice(target.lastIndexOf("/") + 1)) : undefined
    const stateroot = arg?.split("/")[3]
    if (name && stateroot === d.stateroot && name.checksum === d.checksum && name.serial === d.serial) return `${entriesPath(sysroot, b)}/${file}`
  }
  return undefined
}

export const setKargsInPlace = async (opts: SetKargsOptions): Promise<{ path: string; changed: boolean }> => {
  if (opts.runDir !== undefined) {
    await setStagedKargs(opts.runDir, opts.kargs)
    return { path: `${opts.runDir}/ostree/staged-deployment`, changed: true }
  }
  const path = await entryFileOf(opts.sysroot, opts.deployment)
  if (!path) {
    throw new SysrootError({
      op: "kargs edit-in-place", reason: "NotFound", code: "BadState", path: opts.sysroot,
      detail: `deployment ${opts.deployment.checksum}.${opts.deployment.serial} has no boot entry`,
    })
  }
  let text: string
  try {
    text = await readFile(path, "utf8")
  } catch (e) {
    throw sysFsError("kargs edit-in-place", path, e)
  }
  const entry = parseBls(text)
  if (entry.options === opts.kargs) return { path, changed: false }
  await writeFileAtomic(path, serializeBls({ ...entry, options: opts.kargs }), { sync: true, op: "kargs edit-in-place" })
  fsyncDir(path.slice(0, path.lastIndexOf("/")), "kargs edit-in-place")
  return { path, changed: true }
}
