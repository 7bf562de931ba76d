/**
 * Turning a committed work tree into a hardlink checkout of its own commit, in place.
 *
 * A tree checked out with hardlinks, changed, and committed with the devino cache (layering) is
 * already a checkout of the new commit for every file the commit took from the cache: those
 * inodes *are* the objects. Only the files the commit imported (CommitOptions.reportImported)
 * differ: they are other inodes (copies, links into an import cache) with the same content and
 * metadata. Linking each to its new object makes the tree what `checkout -H` of the commit
 * would have made — so it can become a deployment without a second full checkout.
 *
 * Empty regular files stay private inodes, as checkout makes them (a fresh file per path); one
 * that shares its inode with something outside the tree is replaced by a fresh copy. Symlinks
 * are recreated by checkout anyway: kept. Bare repositories only (their objects carry the
 * files' own owner, mode and xattrs).
 */
import { chmodSync, closeSync, linkSync, lchownSync, lstatSync, openSync, renameSync, rmSync } from "node:fs"
import { getAttributeSync, listAttributesSync, setAttributeSync } from "@napi-rs/xattr"
import type { ImportedFile } from "./commit.js"
import { fsError } from "./error.js"
import { objectPath } from "./object-read.js"
import type { Repo } from "./repo.js"

const TMP = ".strata-adopt"

/** Links every imported regular file to its object; false (nothing changed) when the repo is not bare. */
export const adoptAsCheckout = (repo: Repo, imported: ReadonlyArray<ImportedFile>): boolean => {
  if (repo.mode !== "bare") return false
  for (const f of imported) {
    if (f.symlink) continue
    const tmp = `${f.path}${TMP}`
    try {
      if (f.size > 0) {
        rmSync(tmp, { force: true })
        linkSync(objectPath(repo, f.checksum, "file"), tmp)
        renameSync(tmp, f.path)
        continue
      }
      const st = lstatSync(f.path)
      if (st.nlink === 1) continue
      rmSync(tmp, { force: true })
      closeSync(openSync(tmp, "wx", 0o600))
      // owner first: chown clears security.capability
      lchownSync(tmp, st.uid, st.gid)
      chmodSync(tmp, st.mode & 0o7777)
      for (const n of listAttributesSync(f.path)) {
        const v = getAttributeSync(f.path, n)
        if (v) setAttributeSync(tmp, n, v)
      }
      renameSync(tmp, f.path)
    } catch (e) {
      throw fsError("adopt tree: link object", f.path, e)
    }
  }
  return true
}
