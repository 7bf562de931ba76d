/**
 * The configured repositories of a system: every `*.repo` file in a repos directory
 * (/etc/yum.repos.d by default), with dnf's variables — `$basearch` from the machine,
 * `$releasever` from the tree's os-release unless given.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { arch } from "node:os"
import { parseRepoFile, type RepoConfig } from "../../formats/rpm/repo-conf.js"
import { RpmError, tagged } from "./error.js"

const BASEARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64", ppc64: "ppc64le", s390x: "s390x", ia32: "i686" }

export const hostBasearch = (): string => BASEARCH[arch()] ?? arch()

/** VERSION_ID from the tree's os-release, dnf's default $releasever. */
export const releaseverOf = (root: string): string | undefined => {
  for (const p of ["etc/os-release", "usr/lib/os-release"]) {
    try {
      const m = /^VERSION_ID="?([^"\n]*)"?$/m.exec(readFileSync(join(root, p), "utf8"))
      if (m) return m[1]
    } catch {
      // try the next location
    }
  }
  return undefined
}

export const loadRepoConfigs = ({ reposDir, vars = {} }: { reposDir: string; vars?: Readonly<Record<string, string>> }): Promise<RepoConfig[]> =>
  tagged("repos", reposDir, async () => {
    let names: string[]
    try {
      names = readdirSync(reposDir).filter((n) => n.endsWith(".repo")).sort()
    } catch (e) {
      throw new RpmError({ op: "repos", path: reposDir, reason: "NotFound", detail: (e as Error).message })
    }
    const all = { basearch: hostBasearch(), arch: hostBasearch(), ...vars }
    const out: RepoConfig[] = []
    const seen = new Set<string>()
    for (const n of names) {
      const file = join(reposDir, n)
      for (const r of parseRepoFile({ text: readFileSync(file, "utf8"), file, vars: all })) {
        if (seen.has(r.id)) throw new RpmError({ op: "repos", path: file, reason: "Invalid", detail: `repository id "${r.id}" is defined twice` })
        seen.add(r.id)
        out.push(r)
      }
    }
    return out
  })
