/**
 * The devino cache (ostree's `--link-checkout-speedup`): which (device, inode) pairs are content
 * objects of a bare repository, and their checksums. A tree checked out with hardlinks (`checkout
 * -H`) and then changed — layering, a compose's post-processing — is committed again without
 * reading or hashing any file that is still a link to its object: the inode *is* the object.
 *
 * Built by scanning `objects/` (a readdir per fan-out directory and an lstat per content object):
 * on the 17k-file bench tree that is tens of milliseconds against seconds of hashing. Like
 * ostree's, it trusts that objects are not modified in place (fsck is what checks that).
 */
import { lstatSync, readdirSync } from "node:fs"
import { join } from "node:path"
import type { Checksum } from "../../formats/ostree/index.js"
import type { Repo } from "./repo.js"

export type DevinoCache = ReadonlyMap<string, Checksum>

export const devinoKey = (dev: number, ino: number): string => `${dev}:${ino}`

/** Content objects of a bare repository by device and inode (empty for other modes). */
export const scanDevino = (repo: Repo): DevinoCache => {
  const out = new Map<string, Checksum>()
  if (repo.mode !== "bare") return out
  const objects = join(repo.path, "objects")
  let fanout: string[]
  try {
    fanout = readdirSync(objects)
  } catch {
    return out
  }
  for (const xx of fanout) {
    if (xx.length !== 2) continue
    let names: string[]
    try {
      names = readdirSync(join(objects, xx))
    } catch {
      continue
    }
    for (const n of names) {
      if (n.length !== 67 || !n.endsWith(".file")) continue
      try {
        const st = lstatSync(join(objects, xx, n))
        out.set(devinoKey(st.dev, st.ino), xx + n.slice(0, 62))
      } catch {
        // removed by a concurrent prune: not an object any more
      }
    }
  }
  return out
}
