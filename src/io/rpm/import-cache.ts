/**
 * The per-package import cache: each package is unpacked (verified, staged, renamed) once into
 * `<cache>/<header sha256>-<owners key>/` and reused from then on; trees are assembled from the
 * cache by hardlinking (or copying) its files into place, through the same in-tree path
 * resolution as the unpacker. The owners key is part of the name because ids come from the
 * target tree's passwd/group: the same package unpacked for two trees may differ in ownership.
 */
import { type Stats, chmodSync, copyFileSync, constants, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, renameSync, symlinkSync, utimesSync, chownSync } from "node:fs"
import { join } from "node:path"
import { createHash } from "node:crypto"
import { getAttributeSync, setAttributeSync } from "@napi-rs/xattr"
import { corrupt } from "../../formats/rpm/error.js"
import { files as headerFiles, FILE } from "../../formats/rpm/files.js"
import { string, regionImage } from "../../formats/rpm/header.js"
import { SIG } from "../../formats/rpm/tags.js"
import { readPackageFront } from "./read.js"
import { unpackPackage, type UnpackOptions } from "./unpack.js"
import { readOwners, type Owners } from "./owners.js"
import { TreeWriter, lstatMaybe } from "./tree.js"
import { tagged } from "./error.js"

export interface ImportResult {
  /** The cached, fully unpacked tree of the package. */
  readonly dir: string
  /** True when it was already in the cache (nothing was unpacked). */
  readonly cached: boolean
}

/** Unpacks `path` into the cache unless an identical import is already there. */
export const importPackage = ({ path, cacheDir, owners, ownersFrom, limits }: { path: string; cacheDir: string; owners?: Owners; ownersFrom?: string } & Pick<UnpackOptions, "limits">): Promise<ImportResult> =>
  tagged("import", path, async () => {
    const pkg = readPackageFront(path)
    const o = owners ?? readOwners(ownersFrom)
    const id = string(pkg.signature, SIG.SHA256) ?? createHash("sha256").update(regionImage(pkg.header)).digest("hex")
    const names = new Set<string>()
    for (const f of headerFiles(pkg.header)) names.add(`u:${f.user}=${o.users.get(f.user) ?? 0}`).add(`g:${f.group}=${o.groups.get(f.group) ?? 0}`)
    const ownersKey = createHash("sha256").update([...names].sort().join("\n")).digest("hex").slice(0, 12)
    const dir = join(cacheDir, `${id}-${ownersKey}`)
    if (lstatMaybe(dir)?.isDirectory()) return { dir, cached: true }
    try {
      await unpackPackage({ path, dest: dir, owners: o, limits, pkg })
    } catch (e) {
      // another importer finished the same package first: its result is as good as ours
      if (lstatMaybe(dir)?.isDirectory() && readdirSync(dir).length > 0) return { dir, cached: true }
      throw e
    }
    return { dir, cached: false }
  })

/**
 * Places every entry of the cached tree `from` into the tree `into`: directories created (or
 * kept), files hardlinked — or, with `copy` (or when `copyIf` says so for a relative path like
 * "etc/passwd"), reflinked/copied with their owner, mode, mtime and capabilities — and symlinks
 * recreated, each renamed over whatever was at its name. `onLink` hears of every hardlinked file
 * (its path in `into`, and the cache file's stat), so callers can check later that nothing
 * wrote through the link into the cache.
 */
export const checkoutCached = ({ from, into, copy = false, copyIf, onLink }: {
  from: string
  into: string
  copy?: boolean
  copyIf?: (rel: string) => boolean
  onLink?: (dst: string, st: Stats, rel: string) => void
}): Promise<{ files: number }> =>
  tagged("checkout", from, async () => {
    mkdirSync(into, { recursive: true })
    const tree = new TreeWriter(into)
    let files = 0
    const dirs: Array<[string, string]> = []
    const walk = (rel: string): void => {
      for (const name of readdirSync(rel ? join(from, rel) : from).sort()) {
        const r = rel ? `${rel}/${name}` : name
        const src = join(from, r)
        const st = lstatSync(src)
        const dirAbs = tree.dir(rel, "/" + r)
        const dst = join(dirAbs, name)
        files++
        if (st.isDirectory()) {
          const cur = lstatMaybe(dst)
          if (!cur) mkdirSync(dst, { mode: 0o700 })
          if (!cur || cur.isDirectory()) dirs.push([src, dst])
          walk(r)
          continue
        }
        const tmp = tree.tmpName(dirAbs)
        if (st.isSymbolicLink()) {
          symlinkSync(readlinkSync(src), tmp)
          lchownSync(tmp, st.uid, st.gid)
          lutimesSync(tmp, st.atime, st.mtime)
        } else if (!copy && !copyIf?.(r)) {
          linkSync(src, tmp)
          onLink?.(dst, st, r)
        } else {
          copyFileSync(src, tmp, constants.COPYFILE_FICLONE)
          chownSync(tmp, st.uid, st.gid)
          chmodSync(tmp, st.mode & 0o7777)
          utimesSync(tmp, st.atime, st.mtime)
          const caps = getAttributeSync(src, "security.capability")
          if (caps) setAttributeSync(tmp, "security.capability", caps)
        }
        if (lstatMaybe(dst)?.isDirectory()) throw corrupt("checkout", `${dst} is a directory; cannot replace it with a file`)
        renameSync(tmp, dst)
      }
    }
    walk("")
    for (const [src, dst] of dirs.reverse()) {
      const st = lstatSync(src)
      chownSync(dst, st.uid, st.gid)
      chmodSync(dst, st.mode & 0o7777)
      utimesSync(dst, st.atime, st.mtime)
    }
    return { files }
  })

/** %ghost files of a package are recorded, never created; kept here for callers that list them. */
export const ghostPaths = (path: string): string[] =>
  headerFiles(readPackageFront(path).header).filter((f) => f.flags & FILE.GHOST).map((f) => f.path)
