/**
 * Remote definitions (ostree-repo.c impl_repo_remote_add/delete, reload_remote_config;
 * FORMATS.md §1): `[remote "NAME"]` groups in the repo config, plus — when a sysroot is given —
 * one file per remote in `<sysroot>/etc/ostree/remotes.d/NAME.conf`. New remotes go to
 * remotes.d when a sysroot is given (ostree's default for the system repo, switched off by
 * `core.add-remotes-config-dir=false`), else to the repo config.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import {
  emptyKeyfile, getBoolean, getString, keys, parseKeyfile, removeGroup, serializeKeyfile, setList, setString, type Keyfile,
} from "../../formats/keyfile.js"
import { openRepo, writeRepoConfig, type Repo } from "../repo/repo.js"
import { RemoteError } from "./error.js"

export interface Remote {
  readonly name: string
  /** The group's keys (unescaped), in file order. */
  readonly options: ReadonlyMap<string, string>
  /** The remotes.d file holding it; absent when it lives in the repo config. */
  readonly file?: string
}

export interface RemoteContext {
  readonly repo: Repo
  /** A sysroot whose `etc/ostree/remotes.d` holds remotes too. */
  readonly sysroot?: string
}

const groupOf = (name: string): string => `remote "${name}"`
const nameOfGroup = (g: string): string | undefined => /^remote "(.+)"$/.exec(g)?.[1]

/** ostree_validate_remote_name: one ref fragment. */
export const validateRemoteName = (name: string): void => {
  if (!/^[\w\d][-._\w\d]*$/.test(name)) {
    throw new RemoteError({ op: "remote", reason: "Invalid", detail: `invalid remote name "${name}"` })
  }
}

export const remotesDir = (sysroot: string): string => join(sysroot, "etc", "ostree", "remotes.d")

const remotesIn = (kf: Keyfile, file?: string): Remote[] =>
  kf.groups.flatMap((g) => {
    const name = nameOfGroup(g.name)
    if (!name) return []
    const options = new Map(keys(kf, g.name).map((k) => [k, getString(kf, g.name, k) ?? ""] as const))
    return [file ? { name, options, file } : { name, options }]
  })

/** Every remote, sorted by name; a remotes.d entry shadows a config entry of the same name. */
export const listRemotes = async (ctx: RemoteContext): Promise<Remote[]> => {
  const byName = new Map<string, Remote>()
  for (const r of remotesIn(ctx.repo.config)) byName.set(r.name, r)
  if (ctx.sysroot) {
    const dir = remotesDir(ctx.sysroot)
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".conf")).sort()
    for (const n of names) {
      const path = join(dir, n)
      let kf: Keyfile
      try {
        kf = parseKeyfile(await readFile(path, "utf8"))
      } catch (e) {
        throw new RemoteError({ op: "remote", reason: "Invalid", path, detail: (e as Error).message })
      }
      for (const r of remotesIn(kf, path)) byName.set(r.name, r)
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

export const findRemote = async (ctx: RemoteContext, name: string): Promise<Remote | undefined> =>
  (await listRemotes(ctx)).find((r) => r.name === name)

export const getRemote = async (ctx: RemoteContext, name: string): Promise<Remote> => {
  const r = await findRemote(ctx, name)
  if (!r) throw new RemoteError({ op: "remote", reason: "NotFound", detail: `Remote "${name}" not found` })
  return r
}

export const remoteString = (r: Remote, key: string): string | undefined => r.options.get(key)

/** GKeyFile booleans: true/1, false/0; anything else is a configuration error. */
export const remoteBool = (r: Remote, key: string, dflt: boolean): boolean => {
  const v = r.options.get(key)?.trim()
  if (v === undefined || v === "") return dflt
  if (v === "true" || v === "1") return true
  if (v === "false" || v === "0") return false
  throw new RemoteError({ op: "remote", reason: "Invalid", detail: `remote "${r.name}": ${key}=${v} is not a boolean` })
}

/** A `;`-separated list option (`branches`, `gpgkeypath` also accepts `,`). */
export const remoteList = (r: Remote, key: string, seps = ";"): string[] => {
  const v = r.options.get(key)
  if (v === undefined) return []
  return v.split(new RegExp(`[${seps}]`)).map((s) => s.trim()).filter((s) => s !== "")
}

export interface AddRemoteOptions {
  readonly name: string
  readonly url: string
  readonly branches?: ReadonlyArray<string>
  /** `--set=KEY=VALUE`, in order. */
  readonly set?: ReadonlyArray<readonly [string, string]>
  readonly noGpgVerify?: boolean
  readonly ifNotExists?: boolean
}

/** `remote add`: keys in ostree's order — url, branches, --set options, gpg-verify=false. */
export const addRemote = async (ctx: RemoteContext, opts: AddRemoteOptions): Promise<Remote> => {
  validateRemoteName(opts.name)
  const existing = await findRemote(ctx, opts.name)
  if (existing) {
    if (opts.ifNotExists) return existing
    throw new RemoteError({
      op: "remote add", reason: "AlreadyExists",
      detail: `Remote configuration for "${opts.name}" already exists: ${existing.file ?? "(in config)"}`,
    })
  }
  const kf = emptyKeyfile()
  const g = groupOf(opts.name)
  if (opts.url.startsWith("metalink=")) setString(kf, g, "metalink", opts.url.slice("metalink=".length))
  else setString(kf, g, "url", opts.url)
  if (opts.branches?.length) setList(kf, g, "branches", opts.branches)
  for (const [k, v] of opts.set ?? []) setString(kf, g, k, v)
  if (opts.noGpgVerify) setString(kf, g, "gpg-verify", "false")
  const toFile = ctx.sysroot !== undefined && getBoolean(ctx.repo.config, "core", "add-remotes-config-dir") !== false
  if (toFile) {
    const dir = remotesDir(ctx.sysroot!)
    const path = join(dir, `${opts.name}.conf`)
    try {
      await mkdir(dir, { recursive: true, mode: 0o755 })
      await writeFile(`${path}.tmp-${process.pid}`, serializeKeyfile(kf), { mode: 0o644 })
      await rename(`${path}.tmp-${process.pid}`, path)
    } catch (e) {
      throw new RemoteError({ op: "remote add", reason: "Io", path, detail: (e as Error).message })
    }
    return remotesIn(kf, path)[0]!
  }
  // Re-read the config so a concurrent edit of another section is not lost.
  const repo = await openRepo(ctx.repo.path)
  const src = kf.groups[0]!
  repo.config.groups.push({ name: src.name, lines: src.lines })
  await writeRepoConfig(repo)
  ctx.repo.config.groups.splice(0, ctx.repo.config.groups.length, ...repo.config.groups)
  return remotesIn(kf)[0]!
}

/** `remote delete`: removes the group or the remotes.d file, and the remote's keyring. */
export const deleteRemote = async (ctx: RemoteContext, opts: { name: string; ifExists?: boolean }): Promise<void> => {
  validateRemoteName(opts.name)
  const r = await findRemote(ctx, opts.name)
  if (!r) {
    if (opts.ifExists) return
    throw new RemoteError({ op: "remote delete", reason: "NotFound", detail: `Remote "${opts.name}" not found` })
  }
  if (r.file) {
    await rm(r.file, { force: true })
  } else {
    const repo = await openRepo(ctx.repo.path)
    removeGroup(repo.config, groupOf(opts.name))
    await writeRepoConfig(repo)
    removeGroup(ctx.repo.config, groupOf(opts.name))
  }
  await rm(join(ctx.repo.path, `${opts.name}.trustedkeys.gpg`), { force: true })
}
