/**
 * fsck's view of refs: every file under refs/heads, refs/remotes/<remote> and
 * refs/mirrors/<collection-id>, read one by one so a single unreadable or malformed ref is
 * reported by name instead of failing the whole listing.
 */
import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { isChecksum, type Checksum } from "../../formats/ostree/index.js"
import type { Repo } from "./repo.js"

export type RefProblem = { readonly name: string; readonly problem: string }
export type RefTarget = { readonly name: string; readonly csum: Checksum }

const filesUnder = async (dir: string): Promise<string[]> => {
  const ents = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return ents
    .filter((e) => !e.isDirectory() && !e.name.includes(".tmp-"))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .sort()
}

const read = async (file: string, name: string): Promise<RefProblem | RefTarget> => {
  let text: string
  try {
    text = await readFile(file, "utf8")
  } catch (e) {
    return { name, problem: `unreadable (${(e as NodeJS.ErrnoException).code ?? "error"})` }
  }
  const csum = text.trim()
  return isChecksum(csum) ? { name, csum } : { name, problem: "does not hold a checksum" }
}

/** Every ref, named as ostree prints them: `ref`, `remote:ref`, `collection-id:ref`. */
export const collectRefs = async (repo: Repo): Promise<Array<RefProblem | RefTarget>> => {
  const out: Array<RefProblem | RefTarget> = []
  const base = join(repo.path, "refs")
  for (const ref of await filesUnder(join(base, "heads"))) out.push(await read(join(base, "heads", ref), ref))
  for (const kind of ["remotes", "mirrors"]) {
    const groups = (await readdir(join(base, kind)).catch(() => [] as string[])).sort()
    for (const g of groups) {
      for (const ref of await filesUnder(join(base, kind, g))) out.push(await read(join(base, kind, g, ref), `${g}:${ref}`))
    }
  }
  return out
}
