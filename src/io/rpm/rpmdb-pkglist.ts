/**
 * The package list of an rpmdb, as rpm-ostree's `rpmostree.rpmdb.pkglist` holds it: libsolv's
 * view of the installed set (gpg-pubkey pseudo-packages are not packages to it), sorted.
 * Used to write the metadata at commit time and to read commits that lack it.
 */
import { string, numbers } from "../../formats/rpm/header.js"
import { T } from "../../formats/rpm/tags.js"
import { pkgEntry, sortPkglist, type PkgEntry } from "../../formats/rpmostree/pkglist.js"
import { findRpmdb, readRpmdb } from "./rpmdb.js"
import { RpmError } from "./error.js"

export const pkglistOfRpmdb = (path: string): PkgEntry[] => {
  const out: PkgEntry[] = []
  for (const { header } of readRpmdb(path)) {
    const name = string(header, T.NAME)
    if (name === undefined || name === "gpg-pubkey") continue
    out.push(pkgEntry({
      name,
      epoch: numbers(header, T.EPOCH)[0],
      version: string(header, T.VERSION) ?? "",
      release: string(header, T.RELEASE) ?? "",
      arch: string(header, T.ARCH) ?? "noarch",
    }))
  }
  return sortPkglist(out)
}

/** The list of the rpmdb inside a tree (`usr/share/rpm`, else `var/lib/rpm`). */
export const pkglistOfTree = (root: string): PkgEntry[] => {
  const path = findRpmdb(root)
  if (!path) throw new RpmError({ op: "rpmdb read", path: root, reason: "NotFound", detail: "the tree has no rpmdb (usr/share/rpm/rpmdb.sqlite)" })
  return pkglistOfRpmdb(path)
}
