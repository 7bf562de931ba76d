/**
 * Deleting loose objects (ostree-repo.c ostree_repo_delete_object). Deleting a commit also
 * removes its detached metadata and partial marker and, when `core.tombstone-commits` is on,
 * leaves a `.tombstone-commit` (`{"commit": <b'CHECKSUM'>}`, named by the commit) so pulls
 * know the commit was removed on purpose.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { serialize, variant } from "../../formats/gvariant/index.js"
import type { Checksum, ObjectType } from "../../formats/ostree/index.js"
import { fsError } from "./error.js"
import { objectPath } from "./object-read.js"
import type { Repo } from "./repo.js"

export const tombstoneBytes = (commit: Checksum): Uint8Array =>
  serialize("a{sv}", [["commit", variant("ay", Buffer.from(`${commit}\0`))]])

export const deleteObject = async (repo: Repo, csum: Checksum, type: ObjectType, opts: { tombstone?: boolean } = {}): Promise<void> => {
  const p = objectPath(repo, csum, type)
  try {
    if (type === "commit") {
      await rm(objectPath(repo, csum, "commitmeta"), { force: true })
      await rm(join(repo.path, "state", `${csum}.commitpartial`), { force: true })
    }
    await rm(p)
    if (type === "commit" && opts.tombstone) {
      const t = objectPath(repo, csum, "tombstone-commit")
      await mkdir(dirname(t), { recursive: true, mode: 0o775 })
      await writeFile(`${t}.tmp-${process.pid}`, tombstoneBytes(csum), { mode: 0o644 })
      await rename(`${t}.tmp-${process.pid}`, t)
    }
  } catch (e) {
    throw fsError(`delete ${type} ${csum}`, p, e)
  }
}
