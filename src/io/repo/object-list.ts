/**
 * Enumerating the loose objects under `objects/XX/` (ostree_repo_list_objects): what `fsck`
 * scans for commits and what `prune` weighs against the reachable set.
 */
import { readdir } from "node:fs/promises"
import { join } from "node:path"
import { parseObjectName, type Checksum, type ObjectType } from "../../formats/ostree/index.js"
import { fsError } from "./error.js"
import type { Repo } from "./repo.js"

export interface ObjectName {
  readonly csum: Checksum
  readonly type: ObjectType
}

/** `csum.type`, the key reachability sets use (content is always `.file`, whatever the mode). */
export const objectKey = (csum: Checksum, type: ObjectType): string => `${csum}.${type}`

const HEX2 = /^[0-9a-f]{2}$/

/**
 * Every loose object, optionally only of some types. Names that are not objects (temporary
 * files, stray junk) are skipped, as ostree skips them.
 */
export const listObjects = async (repo: Repo, types?: ReadonlyArray<ObjectType>): Promise<ObjectName[]> => {
  const dir = join(repo.path, "objects")
  let prefixes: string[]
  try {
    prefixes = (await readdir(dir)).filter((p) => HEX2.test(p)).sort()
  } catch (e) {
    throw fsError("list objects", dir, e)
  }
  const want = types ? new Set(types) : undefined
  const lists = await Promise.all(
    prefixes.map(async (p) => {
      const names = await readdir(join(dir, p)).catch(() => [] as string[])
      const out: ObjectName[] = []
      for (const n of names) {
        const o = parseObjectName(p + n)
        if (!o || !/^[0-9a-f]{64}$/.test(o.csum)) continue
        if (o.type === "file" && n.endsWith(".filez") !== (repo.mode === "archive")) continue
        if (!want || want.has(o.type)) out.push(o)
      }
      return out.sort((a, b) => (a.csum < b.csum ? -1 : a.csum > b.csum ? 1 : 0))
    }),
  )
  return lists.flat()
}
