/**
 * Opening and creating repositories (ostree-repo.c repo_create_at_internal, reload_core_config;
 * FORMATS.md §1). A Repo is a plain record: the path, the mode, and the parsed config.
 */
import { readFileSync, statSync } from "node:fs"
import { mkdir, stat, writeFile, rename } from "node:fs/promises"
import { join } from "node:path"
import { emptyKeyfile, getString, parseKeyfile, serializeKeyfile, setString, type Keyfile } from "../../formats/keyfile.js"
import { RepoError, fsError } from "./error.js"

export type RepoMode = "bare" | "bare-user" | "bare-user-only" | "archive"

export interface Repo {
  readonly path: string
  readonly mode: RepoMode
  readonly config: Keyfile
}

export const isArchive = (r: Pick<Repo, "mode">): boolean => r.mode === "archive"

/** Config spellings → mode. `archive-z2` is what ostree writes for archive. */
const MODES: Record<string, RepoMode> = {
  bare: "bare", "bare-user": "bare-user", "bare-user-only": "bare-user-only", archive: "archive", "archive-z2": "archive",
}

export const parseMode = (s: string): RepoMode => {
  const m = MODES[s]
  if (!m) throw new RepoError({ op: "init", reason: "Invalid", detail: `unknown repo mode "${s}" (bare, bare-user, bare-user-only, archive)` })
  return m
}

const modeString = (m: RepoMode): string => (m === "archive" ? "archive-z2" : m)

export interface InitOptions {
  readonly path: string
  readonly mode?: RepoMode
  readonly collectionId?: string
}

/** Creates a repository; `objects/` is made last because its existence means "a repo is here". */
export const initRepo = async ({ path, mode = "bare", collectionId }: InitOptions): Promise<Repo> => {
  try {
    const existing = await stat(join(path, "objects")).then(() => true, () => false)
    if (existing) return await openRepo(path) // ostree init on an existing repo is a no-op
    await mkdir(path, { recursive: true })
    const config = emptyKeyfile()
    setString(config, "core", "repo_version", "1")
    setString(config, "core", "mode", modeString(mode))
    if (collectionId) setString(config, "core", "collection-id", collectionId)
    await writeFile(join(path, "config.tmp"), serializeKeyfile(config))
    await rename(join(path, "config.tmp"), join(path, "config"))
    await writeFile(join(path, ".lock"), "", { flag: "a", mode: 0o640 })
    for (const d of ["tmp", "extensions", "state", "refs", "refs/heads", "refs/mirrors", "refs/remotes"]) {
      await mkdir(join(path, d), { recursive: true, mode: 0o775 })
    }
    await mkdir(join(path, "objects"), { mode: 0o775 })
    return { path, mode, config }
  } catch (e) {
    throw fsError("init", path, e)
  }
}

/**
 * Opens a repository, refusing configs ostree would refuse (repo_version ≠ 1, archive=true).
 * Synchronous reads (a stat and a small file), so a reader such as `strata status` starts no
 * thread pool.
 */
export const openRepo = async (path: string): Promise<Repo> => {
  let text: string
  try {
    statSync(join(path, "objects"))
    text = readFileSync(join(path, "config"), "utf8")
  } catch (e) {
    throw new RepoError({ op: "open", path, reason: "NotFound", detail: "not an ostree repository (no objects/ or config)" })
  }
  let config: Keyfile
  try {
    config = parseKeyfile(text)
  } catch (e) {
    throw new RepoError({ op: "open", path: join(path, "config"), reason: "Invalid", detail: (e as Error).message })
  }
  const version = getString(config, "core", "repo_version")
  if (version !== "1") {
    throw new RepoError({ op: "open", path, reason: "Unsupported", detail: `unsupported repo_version "${version ?? ""}"` })
  }
  if (getString(config, "core", "archive") === "true") {
    throw new RepoError({ op: "open", path, reason: "Unsupported", detail: "old 'archive=true' repositories are not supported" })
  }
  const modeStr = getString(config, "core", "mode") ?? "bare"
  const mode = MODES[modeStr]
  if (!mode) throw new RepoError({ op: "open", path, reason: "Unsupported", detail: `unsupported repo mode "${modeStr}"` })
  return { path, mode, config }
}

/** Rewrites the config atomically (temp + rename). */
export const writeRepoConfig = async (repo: Repo): Promise<void> => {
  const p = join(repo.path, "config")
  try {
    await writeFile(`${p}.tmp`, serializeKeyfile(repo.config))
    await rename(`${p}.tmp`, p)
  } catch (e) {
    throw fsError("write config", p, e)
  }
}
