/**
 * Where layered packages come from: the repositories configured in the merge deployment's
 * `/etc/yum.repos.d` and the keys in its `/etc/pki/rpm-gpg` — the target system's configuration
 * (under --sysroot, the deployment directory inside that sysroot), never the host's `/etc`.
 * `gpgkey=file:///etc/...` URLs are read inside that root too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import type { RepoConfig } from "../../formats/rpm/repo-conf.js"
import { readKeyring, type Keyring } from "../../formats/rpm/signature.js"
import { loadRepo, type RepoIndex } from "../rpm/repo-metadata.js"
import { loadRepoConfigs, releaseverOf } from "../rpm/repos.js"
import { LayerError } from "./error.js"

export interface Sources {
  readonly repos: ReadonlyArray<{ readonly config: RepoConfig; readonly index: RepoIndex }>
  /** Keys of each repository's gpgkey= list, by repository id. */
  readonly keyrings: ReadonlyMap<string, Keyring>
  /** Every key in the root's /etc/pki/rpm-gpg (local packages are checked against these). */
  readonly allKeys: Keyring
}

const keyText = (root: string, url: string): string => {
  if (!url.startsWith("file://")) throw new LayerError({ op: "repos", reason: "Unsupported", detail: `gpgkey ${url}: only file:// keys are supported` })
  const p = join(root, url.slice("file://".length))
  try {
    return readFileSync(p, "utf8")
  } catch {
    throw new LayerError({ op: "repos", reason: "NotFound", path: p, detail: `gpgkey ${url} is not in the deployment` })
  }
}

const keysIn = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).sort().flatMap((n) => (statSync(join(dir, n)).isFile() ? [readFileSync(join(dir, n), "utf8")] : [])) : []

/** Loads the enabled repositories' metadata (cached under `cacheDir`) and their keys. */
export const loadSources = async ({ root, cacheDir, needed = true }: { readonly root: string; readonly cacheDir: string; readonly needed?: boolean }): Promise<Sources> => {
  const reposDir = join(root, "etc/yum.repos.d")
  const configs = existsSync(reposDir) ? await loadRepoConfigs({ reposDir, vars: { ...(releaseverOf(root) ? { releasever: releaseverOf(root)! } : {}) } }) : []
  const enabled = configs.filter((c) => c.enabled)
  const repos = []
  const keyrings = new Map<string, Keyring>()
  for (const config of enabled) {
    let index: RepoIndex
    try {
      index = await loadRepo({ repo: config, cacheDir: join(cacheDir, "repomd") })
    } catch (e) {
      if (config.skipIfUnavailable || !needed) continue
      throw new LayerError({ op: "repos", reason: "Network", detail: `repository ${config.id}: ${(e as Error).message}` })
    }
    repos.push({ config, index })
    if (config.gpgcheck) keyrings.set(config.id, await readKeyring(config.gpgkey.map((u) => keyText(root, u))))
  }
  return { repos, keyrings, allKeys: await readKeyring(keysIn(join(root, "etc/pki/rpm-gpg"))) }
}
