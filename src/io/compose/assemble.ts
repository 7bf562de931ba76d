/**
 * Assembling the root from the downloaded packages. The packages are unpacked once into the
 * per-package import cache (src/io/rpm/import-cache.ts) and copied (reflinked where the
 * filesystem can) into the root — copied, not hardlinked, because post-processing and scripts
 * edit files in place and the cache must not change under them. `documentation: false` drops
 * %doc files, `install-langs` files of other languages, as rpm's --excludedocs and
 * %_install_langs do. The rpmdb is written at usr/share/rpm.
 *
 * Until src/io/rpm/apply.ts (ordered install with scriptlets and file triggers) is available,
 * this assembler installs files only: %pre/%post scriptlets and triggers do not run.
 */
import { lstatSync, mkdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { FILE, files as headerFiles } from "../../formats/rpm/files.js"
import { checkoutCached, importPackage } from "../rpm/import-cache.js"
import { readPackageFront, type PackageFile } from "../rpm/read.js"
import { addToRpmdb } from "../rpm/rpmdb.js"
import { string } from "../../formats/rpm/header.js"
import { T } from "../../formats/rpm/tags.js"

export interface AssembleOptions {
  readonly root: string
  readonly packages: ReadonlyArray<string>
  /** The import cache (unpacked packages), on the same filesystem as the root ideally. */
  readonly importCache: string
  readonly documentation: boolean
  readonly installLangs?: ReadonlyArray<string>
  /** Seconds since the epoch, for the rpmdb's install time (reproducible composes). */
  readonly installTime?: number
}

export interface AssembleResult {
  readonly installed: ReadonlyArray<PackageFile>
}

/** rpm's install order for a root from nothing, in the large: the skeleton, then users, then the rest. */
const FIRST = ["filesystem", "setup"]

const langWanted = (lang: string, langs: ReadonlyArray<string> | undefined): boolean =>
  !langs || lang === "" || lang === "C" || langs.some((l) => l === lang || lang.startsWith(`${l}_`) || l.startsWith(`${lang}_`) || l === "*")

export const assembleRoot = async (o: AssembleOptions): Promise<AssembleResult> => {
  mkdirSync(o.root, { recursive: true })
  const fronts = o.packages.map((p) => readPackageFront(p))
  const rank = (f: PackageFile): number => {
    const i = FIRST.indexOf(string(f.header, T.NAME) ?? "")
    return i < 0 ? FIRST.length : i
  }
  const ordered = fronts.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f)
  for (const pkg of ordered) {
    // owners come from the root as it is now: setup's passwd/group once it is in
    const { dir } = await importPackage({ path: pkg.path, cacheDir: o.importCache, ownersFrom: o.root })
    await checkoutCached({ from: dir, into: o.root, copy: true })
    for (const f of headerFiles(pkg.header)) {
      const drop = (!o.documentation && f.flags & FILE.DOC) || !langWanted(f.lang, o.installLangs)
      if (!drop) continue
      const p = join(o.root, f.path)
      try {
        if (!lstatSync(p).isDirectory()) rmSync(p, { force: true })
      } catch {
        // not there: nothing to drop
      }
    }
  }
  addToRpmdb({ path: join(o.root, "usr/share/rpm/rpmdb.sqlite"), packages: ordered, ...(o.installTime !== undefined ? { installTime: o.installTime } : {}) })
  return { installed: ordered }
}
