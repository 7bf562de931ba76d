/**
 * Assembling the root from the downloaded packages: one rpm transaction on an empty tree
 * (src/io/rpm/apply.ts: install order, %pre/%post/%posttrans scriptlets and file triggers in
 * bubblewrap, files from the per-package import cache, the rpmdb at usr/share/rpm).
 * `documentation: false` then drops %doc files and `install-langs` files of other languages, as
 * rpm's --excludedocs and %_install_langs would have left them out.
 *
 * Packaged files are hardlinks into the import cache, so scriptlets run on a `rofiles-fuse
 * --copyup` view of the root: a script that edits one of them in place (`>>`, chmod) changes a
 * private copy, never the cache entry the next compose assembles from. Without rofiles-fuse,
 * apply.ts notices such a write afterwards and drops the touched cache entry.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { FILE, files as headerFiles } from "../../formats/rpm/files.js"
import { applyPackages } from "../rpm/apply.js"
import { rofilesAvailable } from "../rpm/bwrap-mounts.js"
import { ScriptletError } from "../rpm/scriptlets.js"
import { composeError } from "./error.js"
import { readPackageFront, type PackageFile } from "../rpm/read.js"

export interface AssembleOptions {
  readonly root: string
  readonly packages: ReadonlyArray<string>
  /** The import cache (unpacked packages), on the same filesystem as the root ideally. */
  readonly importCache: string
  readonly documentation: boolean
  readonly installLangs?: ReadonlyArray<string>
  /** Seconds since the epoch, for the rpmdb's install time (reproducible composes). */
  readonly installTime?: number
  /**
   * preserve-passwd: the previous commit's users and groups, written to /etc before anything is
   * installed so scriptlets allocate the same ids again (as rpm-ostree and osbuild's
   * org.osbuild.ostree.passwd do). The package's own file then lands as .rpmnew
   * (%config(noreplace)); its entries for names not already there are added.
   */
  readonly seed?: { readonly passwd?: string; readonly group?: string }
}

export interface AssembleResult {
  readonly installed: ReadonlyArray<PackageFile>
}

const langWanted = (lang: string, langs: ReadonlyArray<string> | undefined): boolean =>
  !langs || lang === "" || lang === "C" || langs.some((l) => l === lang || lang.startsWith(`${l}_`) || l.startsWith(`${lang}_`) || l === "*")

const nameOf = (line: string): string => line.split(":")[0]!
const linesOf = (text: string): string[] => text.split("\n").filter((l) => l.trim() && !l.startsWith("#"))

const seedUsers = (root: string, seed: NonNullable<AssembleOptions["seed"]>): void => {
  mkdirSync(join(root, "etc"), { recursive: true })
  for (const file of ["passwd", "group"] as const) {
    const text = seed[file]
    if (text) writeFileSync(join(root, "etc", file), text, { mode: 0o644 })
  }
}

/** Adds the entries of a package's passwd/group that landed as .rpmnew beside the seeded file. */
const mergeRpmnew = (root: string): void => {
  for (const file of ["passwd", "group"]) {
    const cur = join(root, "etc", file)
    const rpmnew = `${cur}.rpmnew`
    if (!existsSync(rpmnew)) continue
    const have = existsSync(cur) ? linesOf(readFileSync(cur, "utf8")) : []
    const names = new Set(have.map(nameOf))
    const added = linesOf(readFileSync(rpmnew, "utf8")).filter((l) => !names.has(nameOf(l)))
    writeFileSync(`${cur}.strata-tmp`, [...have, ...added].map((l) => `${l}\n`).join(""), { mode: 0o644 })
    renameSync(`${cur}.strata-tmp`, cur)
    rmSync(rpmnew, { force: true })
  }
}

export const assembleRoot = async (o: AssembleOptions): Promise<AssembleResult> => {
  mkdirSync(o.root, { recursive: true })
  if (o.seed) seedUsers(o.root, o.seed)
  try {
    await applyPackages({
      root: o.root,
      cacheDir: o.importCache,
      install: o.packages.map((path) => ({ path })),
      rofiles: rofilesAvailable() ? "copyup" : false,
      ...(o.installTime !== undefined ? { installTime: o.installTime } : {}),
    })
  } catch (e) {
    // one line for the CLI: the scriptlet's last lines of output joined
    if (e instanceof ScriptletError) {
      const out = e.output.trim().split("\n").map((l) => l.trim()).filter(Boolean).slice(-5).join(" / ")
      throw composeError("compose assemble", "Invalid", `%${e.kind} scriptlet of ${e.pkg} failed${out ? `: ${out}` : ""}`)
    }
    throw e
  }
  if (o.seed) mergeRpmnew(o.root)
  const fronts = o.packages.map((p) => readPackageFront(p))
  for (const pkg of fronts) {
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
  return { installed: fronts }
}
