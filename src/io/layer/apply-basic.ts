/**
 * A minimal package applier for layering: the install/erase set a solve produced, applied to a
 * checked-out tree — files from the per-package import cache (hardlinked, each renamed into
 * place), the rpmdb updated; erased packages' files (not shared with a package that stays)
 * removed and their rpmdb rows deleted. It runs no scriptlets and no file triggers: those are
 * src/io/rpm/apply.ts's (helper "rootfs"); `applyLayer` uses that one when it is present and this
 * one otherwise, refusing packages that carry scriptlets so a tree is never silently wrong.
 */
import { copyFileSync, existsSync, lstatSync, readdirSync, renameSync, rmdirSync, rmSync, unlinkSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { files as headerFiles, isDir } from "../../formats/rpm/files.js"
import { string } from "../../formats/rpm/header.js"
import { nevraOf } from "../../formats/rpm/info.js"
import type { PackageFront } from "../../formats/rpm/package.js"
import { T } from "../../formats/rpm/tags.js"
import { checkoutCached, importPackage } from "../rpm/import-cache.js"
import { readOwners } from "../rpm/owners.js"
import { addToRpmdb, readRpmdb } from "../rpm/rpmdb.js"
import { LayerError } from "./error.js"

const require = createRequire(import.meta.url)

/** A package to install: its verified .rpm, or (a local package re-applied) its unpacked tree and front. */
export type InstallSource =
  | { readonly kind: "rpm"; readonly path: string; readonly front: PackageFront }
  | { readonly kind: "tree"; readonly dir: string; readonly front: PackageFront }

export interface ApplyRequest {
  readonly root: string
  /** In install order (the solver's). */
  readonly install: ReadonlyArray<InstallSource>
  /** NEVRAs of installed packages to remove (replaced ones included). */
  readonly erase: ReadonlyArray<string>
  readonly cacheDir: string
}

export const RPMDB = "usr/share/rpm/rpmdb.sqlite"

/** Script tags rpm runs; a package with any of them needs the real applier. */
const SCRIPTS = [T.PREIN, T.POSTIN, T.PREUN, T.POSTUN, T.PRETRANS, T.POSTTRANS].filter((x) => x !== undefined)

const hasScripts = (f: PackageFront): boolean => SCRIPTS.some((tag) => string(f.header, tag) !== undefined)

/** rpmdb rows of `nevras` deleted (a copy is edited and renamed over: the base's db may be a hardlink). */
const deleteFromRpmdb = (path: string, hnums: ReadonlyArray<number>): void => {
  if (!hnums.length) return
  const tmp = `${path}.strata-edit-${process.pid}`
  copyFileSync(path, tmp)
  const { Database } = require("node-sqlite3-wasm") as typeof import("node-sqlite3-wasm")
  const db = new Database(tmp)
  try {
    db.exec("PRAGMA locking_mode = EXCLUSIVE")
    db.exec("PRAGMA journal_mode = DELETE")
    // index tables reference Packages: their rows go first
    const tables = (db.all("SELECT name FROM sqlite_master WHERE type = 'table'") as Array<{ name: string }>).map((r) => r.name)
      .filter((t) => (db.all(`PRAGMA table_info('${t.replace(/'/g, "''")}')`) as Array<{ name: string }>).some((c) => c.name === "hnum"))
      .sort((a, b) => Number(a === "Packages") - Number(b === "Packages"))
    db.exec("BEGIN")
    for (const h of hnums) for (const t of tables) db.run(`DELETE FROM '${t.replace(/'/g, "''")}' WHERE hnum = ?`, [h])
    db.exec("COMMIT")
  } finally {
    db.close()
  }
  rmSync(`${path}-wal`, { force: true })
  rmSync(`${path}-shm`, { force: true })
  renameSync(tmp, path)
}

export const applyBasic = async (req: ApplyRequest): Promise<void> => {
  const scripted = req.install.filter((s) => hasScripts(s.front)).map((s) => nevraOf(s.front.header))
  if (scripted.length) {
    throw new LayerError({ op: "apply", reason: "Unsupported", detail: `${scripted.join(", ")}: scriptlets need src/io/rpm/apply.ts, which this build does not have` })
  }
  const dbPath = join(req.root, RPMDB)
  if (req.erase.length) {
    const installed = readRpmdb(dbPath)
    const gone = installed.filter((p) => req.erase.includes(nevraOf(p.header)))
    const keptPaths = new Set(installed.filter((p) => !gone.includes(p)).flatMap((p) => headerFiles(p.header).map((f) => f.path)))
    for (const s of req.install) for (const f of headerFiles(s.front.header)) keptPaths.add(f.path)
    for (const p of gone) {
      const fs = headerFiles(p.header).filter((f) => !keptPaths.has(f.path))
      // files first, then directories deepest first (only when empty)
      for (const f of fs.filter((f) => !isDir(f.mode))) {
        const abs = join(req.root, f.path)
        if (lstatSync(abs, { throwIfNoEntry: false })) unlinkSync(abs)
      }
      for (const f of fs.filter((f) => isDir(f.mode)).sort((a, b) => b.path.length - a.path.length)) {
        const abs = join(req.root, f.path)
        if (existsSync(abs) && readdirSync(abs).length === 0) rmdirSync(abs)
      }
    }
    deleteFromRpmdb(dbPath, gone.map((p) => p.hnum))
  }
  const owners = readOwners(req.root)
  for (const s of req.install) {
    const from = s.kind === "rpm" ? (await importPackage({ path: s.path, cacheDir: req.cacheDir, owners })).dir : s.dir
    await checkoutCached({ from, into: req.root })
  }
  if (req.install.length) addToRpmdb({ path: dbPath, packages: req.install.map((s) => s.front) })
}
