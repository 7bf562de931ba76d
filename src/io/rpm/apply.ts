/**
 * An rpm transaction on a directory tree: install, upgrade and erase packages in `root`, run
 * their scriptlets (bubblewrap, scriptlets.ts) and simple file triggers, and record the result
 * in the root's rpmdb. Files come from the import cache — hardlinked, except /etc, /var and
 * %config files, which are copied because scripts and admins edit them in place; after the
 * scripts, every hardlinked file is checked (inode, size, mtime) and a cache entry a script
 * wrote through is dropped from the cache (see README "Scriptlets").
 *
 * Sequence (rpm's, for one transaction): %pretrans of the new packages; then per package in
 * dependency order: %pre → files → %post, and for an upgrade the old package's %preun(1) →
 * removal of its files the new one no longer has → %postun(1); then the erasures in reverse
 * dependency order (%preun(0) → files → %postun(0)); then %posttrans; then file triggers; then
 * the rpmdb, written once. A failure throws and leaves the root half-applied: callers build in
 * a scratch root they discard, so re-running on a fresh root is the recovery.
 */
import { lstatSync, renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { filePaths, files as headerFiles, FILE } from "../../formats/rpm/files.js"
import { strings, string, type Header } from "../../formats/rpm/header.js"
import { nevraOf, nvraOf } from "../../formats/rpm/info.js"
import { T } from "../../formats/rpm/tags.js"
import { RpmError, asRpmError } from "./error.js"
import { checkoutCached, importPackage } from "./import-cache.js"
import { readPackageFront, type PackageFile } from "./read.js"
import { findRpmdb, readRpmdb, RPMDB_PATHS, updateRpmdb, type InstalledPackage } from "./rpmdb.js"
import { fileTriggers, runScriptlet, scriptOf, ScriptletError, type ScriptKind } from "./scriptlets.js"
import { installOrder, eraseOrder } from "./apply-order.js"
import { configPlan, removePackageFiles } from "./apply-files.js"
import { lstatMaybe } from "./tree.js"

export interface ApplyOptions {
  /** The tree to change (a scratch checkout: on failure it is left half-applied). */
  readonly root: string
  /** The per-package import cache (import-cache.ts). */
  readonly cacheDir: string
  /** Package files to install; a name already installed is upgraded (or downgraded) to it. */
  readonly install?: ReadonlyArray<{ readonly path: string }>
  /** Installed packages to erase, by name or NEVRA ("hello", "hello-1.0-1.x86_64", "hello-0:1.0-1.x86_64"). */
  readonly erase?: ReadonlyArray<string>
  /** Run scriptlets and file triggers (default true). */
  readonly scripts?: boolean
  /** Per scriptlet; default 300 s. */
  readonly scriptTimeoutMs?: number
  /** INSTALLTIME/INSTALLTID recorded in the rpmdb (default: now). */
  readonly installTime?: number
  /** Extra environment for scriptlets. */
  readonly env?: Readonly<Record<string, string>>
  /** Hears of each scriptlet as it finishes (progress). */
  readonly onScript?: (s: ScriptRecord) => void
}

export interface ScriptRecord {
  /** NEVRA of the package whose scriptlet ran. */
  readonly pkg: string
  readonly kind: ScriptKind
  readonly ok: boolean
  /** Why it was not run (Lua scriptlets). */
  readonly skipped?: string
}

export interface ApplyResult {
  /** NEVRAs installed (upgrades included), in the order they were installed. */
  readonly installed: ReadonlyArray<string>
  /** NEVRAs removed: explicit erasures and the old side of upgrades. */
  readonly erased: ReadonlyArray<string>
  readonly scripts: ReadonlyArray<ScriptRecord>
  /** rpm-style notes: .rpmnew/.rpmsave files, skipped Lua scriptlets, cache entries dropped. */
  readonly warnings: ReadonlyArray<string>
}

const nameOf = (h: Header): string => string(h, T.NAME) ?? ""

const invalid = (detail: string, path?: string): RpmError => new RpmError({ op: "apply", path, reason: "Invalid", detail })

/** Finds the installed packages an erase argument names. */
const matchInstalled = (installed: ReadonlyArray<InstalledPackage>, arg: string): InstalledPackage[] => {
  const byName = installed.filter((p) => nameOf(p.header) === arg)
  if (byName.length) return byName
  return installed.filter((p) => nevraOf(p.header) === arg || nvraOf(p.header) === arg || nevraOf(p.header).replace(/-(\d+):/, "-") === arg.replace(/-0:/, "-"))
}

interface LinkedFile {
  readonly dst: string
  readonly ino: number
  readonly size: number
  readonly mtimeMs: number
  readonly entry: string
}

/** Applies one transaction to `o.root`; rejects with a ScriptletError or an RpmError. */
export const applyPackages = async (o: ApplyOptions): Promise<ApplyResult> => {
  try {
    return await apply(o)
  } catch (e) {
    // a scriptlet's failure keeps its own type (package, kind, output) for the caller
    if (e instanceof ScriptletError) throw e
    throw asRpmError(e, "apply", o.root)
  }
}

const apply = async (o: ApplyOptions): Promise<ApplyResult> => {
    const { root } = o
    const runScripts = o.scripts ?? true
    const dbPath = findRpmdb(root) ?? join(root, RPMDB_PATHS[0])
    const installed = lstatMaybe(dbPath) ? readRpmdb(dbPath) : []
    const warnings: string[] = []
    const scripts: ScriptRecord[] = []

    const fronts: PackageFile[] = (o.install ?? []).map((p) => readPackageFront(p.path))
    const seen = new Set<string>()
    for (const f of fronts) {
      const n = nameOf(f.header)
      if (seen.has(n)) throw invalid(`package ${n} is in the install set twice`)
      seen.add(n)
    }
    // the installed instances each new package replaces
    const replaces = fronts.map((f) => installed.filter((p) => nameOf(p.header) === nameOf(f.header)))
    const erasing = new Map<number, InstalledPackage>()
    for (const arg of o.erase ?? []) {
      const hits = matchInstalled(installed, arg)
      if (!hits.length) throw new RpmError({ op: "apply", reason: "NotFound", detail: `package ${arg} is not installed` })
      // erasing a name that is also being installed is the upgrade itself
      for (const p of hits) if (!seen.has(nameOf(p.header))) erasing.set(p.hnum, p)
    }
    const leaving = new Set<number>([...erasing.keys(), ...replaces.flat().map((p) => p.hnum)])

    // every path owned once the transaction is done: what removals must leave alone
    const finalOwned = new Set<string>()
    for (const p of installed) if (!leaving.has(p.hnum)) for (const path of filePaths(p.header)) finalOwned.add(path)
    for (const f of fronts) for (const path of filePaths(f.header)) finalOwned.add(path)
    const ownedNow = (path: string): boolean => finalOwned.has(path) || installed.some((p) => filePaths(p.header).includes(path))

    const run = async (h: Header, kind: ScriptKind, args: number[], script = kind === "filetriggerin" || kind === "transfiletriggerin" ? undefined : scriptOf(h, kind as Exclude<ScriptKind, "filetriggerin" | "transfiletriggerin">), stdin?: string): Promise<void> => {
      if (!runScripts || !script) return
      const pkg = nevraOf(h)
      try {
        const r = await runScriptlet({ root, pkg, script, args, stdin, timeoutMs: o.scriptTimeoutMs, prefixes: strings(h, T.INSTPREFIXES), env: o.env })
        const rec: ScriptRecord = r.skipped ? { pkg, kind, ok: true, skipped: r.skipped } : { pkg, kind, ok: true }
        if (r.skipped) warnings.push(r.skipped)
        scripts.push(rec)
        o.onScript?.(rec)
      } catch (e) {
        const rec: ScriptRecord = { pkg, kind, ok: false }
        scripts.push(rec)
        o.onScript?.(rec)
        throw e
      }
    }

    const order = installOrder(fronts.map((f) => f.header))
    const count = (i: number): number => 1 + replaces[i]!.length
    for (const i of order) await run(fronts[i]!.header, "pretrans", [count(i)])

    const linked: LinkedFile[] = []
    const installedNevras: string[] = []
    const erasedNevras: string[] = []
    for (const i of order) {
      const front = fronts[i]!
      const h = front.header
      const old = replaces[i]!
      await run(h, "pre", [count(i)])
      const { dir } = await importPackage({ path: front.path, cacheDir: o.cacheDir, ownersFrom: root })
      const config = new Set(headerFiles(h).filter((f) => f.flags & FILE.CONFIG).map((f) => f.path.slice(1)))
      const finish = configPlan({ root, header: h, old: old[0]?.header, owned: ownedNow, warnings })
      await checkoutCached({
        from: dir,
        into: root,
        // edited in place by scripts and admins: never shared with the cache
        copyIf: (rel) => rel === "etc" || rel.startsWith("etc/") || rel === "var" || rel.startsWith("var/") || config.has(rel),
        onLink: (dst, st) => linked.push({ dst, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, entry: dir }),
      })
      finish()
      await run(h, "post", [count(i)])
      installedNevras.push(nevraOf(h))
      for (const p of old) {
        await run(p.header, "preun", [1])
        removePackageFiles({ root, header: p.header, keep: finalOwned, warnings })
        await run(p.header, "postun", [1])
        erasedNevras.push(nevraOf(p.header))
      }
    }

    const gone = [...erasing.values()]
    for (const k of eraseOrder(gone.map((p) => p.header))) {
      const p = gone[k]!
      await run(p.header, "preun", [0])
      removePackageFiles({ root, header: p.header, keep: finalOwned, warnings })
      await run(p.header, "postun", [0])
      erasedNevras.push(nevraOf(p.header))
    }

    // rpm 4.18 gives %posttrans the same count as %post (observed: 1 on install, 2 on upgrade)
    for (const i of order) await run(fronts[i]!.header, "posttrans", [count(i)])

    if (runScripts) await fireFileTriggers({ installedAfter: [...installed.filter((p) => !leaving.has(p.hnum)).map((p) => p.header), ...order.map((i) => fronts[i]!.header)], newPaths: order.flatMap((i) => newPathsOf(fronts[i]!.header)), run })

    if (runScripts) checkLinked(linked, o.cacheDir, warnings)

    updateRpmdb({ path: dbPath, remove: [...leaving], add: order.map((i) => fronts[i]!), installTime: o.installTime })
    return { installed: installedNevras, erased: erasedNevras, scripts, warnings }
}

/** Paths a package puts on disk (not %ghost), as file triggers see them. */
const newPathsOf = (h: Header): string[] => headerFiles(h).filter((f) => !(f.flags & FILE.GHOST)).map((f) => f.path)

/**
 * Simple file triggers: each %filetriggerin / %transfiletriggerin of a package installed after
 * the transaction whose prefix matches files installed by it runs once, higher priority first,
 * with the matching paths on stdin (sorted, one per line) and $1 = 0 as rpm 4.18 passes it.
 */
const fireFileTriggers = async ({ installedAfter, newPaths, run }: {
  installedAfter: ReadonlyArray<Header>
  newPaths: ReadonlyArray<string>
  run: (h: Header, kind: ScriptKind, args: number[], script: ReturnType<typeof fileTriggers>[number]["script"], stdin: string) => Promise<void>
}): Promise<void> => {
  const sorted = [...new Set(newPaths)].sort()
  const due: Array<{ h: Header; priority: number; script: ReturnType<typeof fileTriggers>[number]["script"]; paths: string[] }> = []
  for (const trans of [false, true]) {
    for (const h of installedAfter) {
      // group the prefixes of one script: it runs once with all of their matches
      const byScript = new Map<string, { priority: number; script: ReturnType<typeof fileTriggers>[number]["script"]; paths: Set<string> }>()
      for (const t of fileTriggers(h, trans)) {
        const key = `${t.script.prog.join(" ")}\0${t.script.body}`
        const g = byScript.get(key) ?? { priority: t.priority, script: t.script, paths: new Set<string>() }
        for (const p of sorted) if (p === t.prefix || p.startsWith(t.prefix.endsWith("/") ? t.prefix : `${t.prefix}/`)) g.paths.add(p)
        byScript.set(key, g)
      }
      for (const g of byScript.values()) if (g.paths.size) due.push({ h, priority: g.priority, script: g.script, paths: [...g.paths].sort() })
    }
  }
  due.sort((a, b) => Number(a.script.kind === "transfiletriggerin") - Number(b.script.kind === "transfiletriggerin") || b.priority - a.priority || (nameOf(a.h) < nameOf(b.h) ? -1 : nameOf(a.h) > nameOf(b.h) ? 1 : 0))
  for (const d of due) await run(d.h, d.script.kind, [0], d.script, d.paths.join("\n") + "\n")
}

/**
 * A script that wrote into a hardlinked file wrote into the import cache (and every other tree
 * linked to it). The root keeps what the script wrote; the cache entry is dropped, so the next
 * import unpacks the package afresh.
 */
const checkLinked = (linked: ReadonlyArray<LinkedFile>, cacheDir: string, warnings: string[]): void => {
  const bad = new Map<string, string>()
  for (const l of linked) {
    const st = lstatSync(l.dst, { throwIfNoEntry: false })
    // replaced (new inode) or removed: the cache file was not touched through this name
    if (!st || st.ino !== l.ino) continue
    if (st.size !== l.size || st.mtimeMs !== l.mtimeMs) bad.set(l.entry, l.dst)
  }
  for (const [entry, dst] of bad) {
    const trash = join(cacheDir, `.trash-${process.pid}-${Date.now()}-${entry.split("/").pop()}`)
    try {
      renameSync(entry, trash)
      rmSync(trash, { recursive: true, force: true })
    } catch {
      // already dropped by a concurrent apply
    }
    warnings.push(`a scriptlet modified ${dst} in place; its import cache entry was dropped`)
  }
}
