/**
 * `show` and `log` (ot-builtin-show.c, ot-builtin-log.c): load a metadata object by rev or
 * checksum — a commit first, then a dirtree, dirmeta or detached commit metadata with that
 * name — and walk a commit's parents until the history ends or was never fetched.
 */
import { readFile } from "node:fs/promises"
import { lookup, parse, type VarDict, type Variant } from "../../formats/gvariant/index.js"
import { parseCommit, type Checksum, type Commit, type ObjectType } from "../../formats/ostree/index.js"
import { RepoError } from "./error.js"
import { loadCommit, objectPath, readMetadataObject } from "./object-read.js"
import type { Repo } from "./repo.js"
import { revParse } from "./rev.js"

/** GVariant type of each metadata object kind, for printing it raw. */
export const METADATA_TYPES: Partial<Record<ObjectType, string>> = {
  commit: "(a{sv}aya(say)sstayay)",
  dirtree: "(a(say)a(sayay))",
  dirmeta: "(uuua(ayay))",
  commitmeta: "a{sv}",
  "tombstone-commit": "a{sv}",
}

export interface ShownObject {
  readonly type: ObjectType
  readonly checksum: Checksum
  readonly bytes: Uint8Array
  /** Set for commits. */
  readonly commit?: Commit
}

const isMissing = (e: unknown): boolean => e instanceof RepoError && e.reason === "NotFound"

/** The object `rev` names: a commit if one exists, else another metadata object of that checksum. */
export const showObject = async (repo: Repo, rev: string): Promise<ShownObject> => {
  const checksum = await revParse(repo, rev)
  for (const type of ["commit", "dirtree", "dirmeta", "commitmeta", "tombstone-commit"] as const) {
    let bytes: Uint8Array
    try {
      bytes = await readMetadataObject(repo, type, checksum, type !== "commitmeta" && type !== "tombstone-commit")
    } catch (e) {
      if (isMissing(e)) continue
      throw e
    }
    if (type !== "commit") return { type, checksum, bytes }
    try {
      return { type, checksum, bytes, commit: parseCommit(bytes) }
    } catch (e) {
      throw new RepoError({ op: "show", reason: "Corrupt", detail: `object ${checksum}.commit is corrupted: ${(e as Error).message}` })
    }
  }
  throw new RepoError({ op: "show", reason: "NotFound", detail: `no such metadata object ${checksum}` })
}

/** A commit metadata value (ostree show --print-metadata-key). */
export const commitMetadataValue = async (repo: Repo, rev: string, key: string): Promise<Variant> => {
  const c = await loadCommit(repo, await revParse(repo, rev))
  const v = lookup(c.metadata, key)
  if (!v) throw new RepoError({ op: "show", reason: "NotFound", detail: `no such metadata key '${key}'` })
  return v
}

/** A commit's detached metadata (`.commitmeta`), empty when it has none. */
export const detachedMetadata = async (repo: Repo, commit: Checksum): Promise<VarDict> => {
  let bytes: Buffer
  try {
    bytes = await readFile(objectPath(repo, commit, "commitmeta"))
  } catch {
    return []
  }
  try {
    return parse("a{sv}", bytes) as VarDict
  } catch (e) {
    throw new RepoError({ op: "show", reason: "Corrupt", detail: `object ${commit}.commitmeta is corrupted: ${(e as Error).message}` })
  }
}

export const detachedMetadataValue = async (repo: Repo, rev: string, key: string): Promise<Variant> => {
  const v = lookup(await detachedMetadata(repo, await revParse(repo, rev)), key)
  if (!v) throw new RepoError({ op: "show", reason: "NotFound", detail: `no such detached metadata key '${key}'` })
  return v
}

export interface LogEntry {
  readonly checksum: Checksum
  readonly commit: Commit
  readonly bytes: Uint8Array
}

export interface CommitLog {
  readonly entries: ReadonlyArray<LogEntry>
  /** The oldest commit names a parent this repo does not have (a shallow pull). */
  readonly truncated: boolean
}

/** `rev` and its ancestors, newest first. */
export const commitLog = async (repo: Repo, rev: string): Promise<CommitLog> => {
  const entries: LogEntry[] = []
  let next: Checksum | null = await revParse(repo, rev)
  const seen = new Set<Checksum>()
  while (next && !seen.has(next)) {
    seen.add(next)
    let bytes: Uint8Array
    try {
      bytes = await readMetadataObject(repo, "commit", next)
    } catch (e) {
      if (entries.length > 0 && isMissing(e)) return { entries, truncated: true }
      throw e
    }
    let commit: Commit
    try {
      commit = parseCommit(bytes)
    } catch (e) {
      throw new RepoError({ op: "log", reason: "Corrupt", detail: `object ${next}.commit is corrupted: ${(e as Error).message}` })
    }
    entries.push({ checksum: next, commit, bytes })
    next = commit.parent
  }
  return { entries, truncated: false }
}

