/**
 * Detached metadata: the `.commitmeta` `a{sv}` named by its commit's checksum, and `summary.sig`,
 * which has the same shape (FORMATS.md §3.2, §4.1). Signatures live here as `aay` lists; adding
 * one rebuilds the dict the way GVariantDict does, so the bytes match ostree's.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { glibDict, lookup, parse, serialize, variant, type VarDict } from "../../formats/gvariant/index.js"
import type { Checksum } from "../../formats/ostree/index.js"
import { objectPath } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { RemoteError } from "./error.js"

/** Parses detached metadata; an empty file is an empty dict (ostree writes that for "none"). */
export const parseDetached = (bytes: Uint8Array, what: string): VarDict => {
  if (bytes.length === 0) return []
  try {
    return parse("a{sv}", bytes) as VarDict
  } catch (e) {
    throw new RemoteError({ op: "verify", reason: "Corrupt", detail: `${what} is not valid a{sv} metadata: ${(e as Error).message}` })
  }
}

export const serializeDetached = (d: VarDict): Uint8Array => serialize("a{sv}", d)

/** The signatures stored under `key` (`aay`); none when absent or of another type. */
export const signaturesIn = (d: VarDict | undefined, key: string): Uint8Array[] => {
  const v = d ? lookup(d, key) : undefined
  return v?.type === "aay" ? (v.value as Uint8Array[]) : []
}

/** A copy of `d` with `sig` appended to the `aay` under `key`. */
export const appendSignature = (d: VarDict, key: string, sig: Uint8Array): VarDict =>
  glibDict([...d, [key, variant("aay", [...signaturesIn(d, key), sig])] as const])

export const readDetachedBytes = async (repo: Repo, commit: Checksum): Promise<Uint8Array | undefined> =>
  readFile(objectPath(repo, commit, "commitmeta")).catch(() => undefined)

/**
 * Writes `.commitmeta` atomically (temp + rename). It is named by the commit, not by its own
 * hash, so it is the one object ostree overwrites in place.
 */
export const writeDetachedBytes = async (repo: Repo, commit: Checksum, bytes: Uint8Array): Promise<void> => {
  const p = objectPath(repo, commit, "commitmeta")
  try {
    await mkdir(dirname(p), { recursive: true, mode: 0o775 })
    await writeFile(`${p}.tmp-${process.pid}`, bytes, { mode: 0o644 })
    await rename(`${p}.tmp-${process.pid}`, p)
  } catch (e) {
    throw new RemoteError({ op: "write commitmeta", reason: "Io", path: p, detail: (e as Error).message })
  }
}
