/**
 * User and group names → ids from a target tree's own databases (`etc/passwd`, and ostree's
 * nss-altfiles `usr/lib/passwd`; the same for group), never the host's. rpm maps an unknown
 * name to root with a warning; so does strata.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"

export interface Owners {
  readonly users: ReadonlyMap<string, number>
  readonly groups: ReadonlyMap<string, number>
}

const parse = (text: string, idField: number, into: Map<string, number>): void => {
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue
    const f = line.split(":")
    const id = Number(f[idField])
    if (f[0] && Number.isInteger(id) && !into.has(f[0])) into.set(f[0], id)
  }
}

const read = (p: string): string => {
  try {
    return readFileSync(p, "utf8")
  } catch {
    return ""
  }
}

/** The tree's users and groups; root/root always resolve to 0. */
export const readOwners = (root: string | undefined): Owners => {
  const users = new Map<string, number>([["root", 0]])
  const groups = new Map<string, number>([["root", 0]])
  if (root !== undefined) {
    for (const p of ["etc/passwd", "usr/lib/passwd"]) parse(read(join(root, p)), 2, users)
    for (const p of ["etc/group", "usr/lib/group"]) parse(read(join(root, p)), 2, groups)
  }
  return { users, groups }
}

/** Resolves a file's owner, noting unknown names (mapped to 0) in `warnings`. */
export const ownerIds = (o: Owners, user: string, group: string, warnings: Set<string>): [number, number] => {
  const uid = o.users.get(user)
  const gid = o.groups.get(group)
  if (uid === undefined) warnings.add(`user ${user} does not exist - using root`)
  if (gid === undefined) warnings.add(`group ${group} does not exist - using root`)
  return [uid ?? 0, gid ?? 0]
}
