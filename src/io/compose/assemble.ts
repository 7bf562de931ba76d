/**
 * Assembling the root from the downloaded packages: one rpm transaction on an empty tree
 * (src/io/rpm/apply.ts: install order, %pre/%post/%posttrans scriptlets and file triggers in
 * bubblewrap, files from the per-package import cache, the rpmdb at usr/share/rpm).
 * `documentation: false` then drops %doc files and `install-langs` files of other languages, as
 * rpm's --excludedocs and %_install_langs would have left them out.
 */
import { lstatSync, mkdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { FILE, files as headerFiles } from "../../formats/rpm/files.js"
import { applyPackages } from "../rpm/apply.js"
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
}

export interface AssembleResult {
  readonly installed: ReadonlyArray<PackageFile>
}

const langWanted = (lang: string, langs: ReadonlyArray<string> | undefined): boolean =>
  !langs || lang === "" || lang === "C" || langs.some((l) => l === lang || lang.startsWith(`${l}_`) || l.startsWith(`${lang}_`) || l === "*")

export const assembleRoot = async (o: AssembleOptions): Promise<AssembleResult> => {
  mkdirSync(o.root, { recursive: true })
  try {
    await applyPackages({
      root: o.root,
      cacheDir: o.importCache,
      install: o.packages.map((path) => ({ path })),
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
