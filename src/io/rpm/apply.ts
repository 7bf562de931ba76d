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
import { join } from "node:path"
import { filePaths, files as headerFiles, FILE } from "../../formats/rpm/files.js"
import { strings, string, type Header } from "../../formats/rpm/header.js"
import { nevraOf, nvraOf } from "../../formats/rpm/info.js"
import { T } from "../../formats/rpm/tags.js"
import { RpmError, asRpmError } from "./error.js"
import { checkoutCached, importPackage } from "./import-cache.js"
import { readPackageFront, type PackageFile } from "./read.js"
import { findRpmdb, readRpmdb, RPMDB_PATHS, updateRpmdb, type InstalledPackage } from "./rpmdb.js"
import { runScriptlet, scriptOf, ScriptletError, type Script, type ScriptKind } from "./scriptlets.js"
import { checkLinked, fireFileTriggers, newPathsOf, type LinkedFile } from "./apply-triggers.js"
import { installOrder, eraseOrder } from "./apply-order.js"
import { configPlan, fileConflict, removePackageFiles } from "./apply-files.js"
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
  /**
   * Run scriptlets on a rofiles-fuse view of the root: no script can write in place into a file
   * that has other hardlinks (the base of a layered tree, checked out from an OSTree repository
   * by hardlinks; the import cache). Such a write fails the script (EROFS), as in rpm-ostree;
   * with `"copyup"` it goes to a private copy of the file (see RunScriptletOptions.rofiles).
   */
  readonly rofiles?: boolean | "copyup"
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

/** Packages a transaction touches, and what it leaves behind: computed before anything is changed. */
interface Plan {
  readonly dbPath: string
  readonly installed: ReadonlyArray<InstalledPackage>
  readonly fronts: ReadonlyArray<PackageFile>
  /** Install order: indices into fronts. */
  readonly order: ReadonlyArray<number>
  /** Per front: the installed instances it upgrades. */
  readonly replaces: ReadonlyArray<ReadonlyArray<InstalledPackage>>
  readonly erasing: ReadonlyArray<InstalledPackage>
  /** hnums of every installed package that goes (erased or upgraded). */
  readonly leaving: ReadonlySet<number>
  /** Every path owned once the transaction is done: what removals must leave alone. */
  readonly finalOwned: ReadonlySet<string>
}

const plan = (o: ApplyOptions): Plan => {
  const dbPath = findRpmdb(o.root) ?? join(o.root, RPMDB_PATHS[0])
  const installed = lstatMaybe(dbPath) ? readRpmdb(dbPath) : []
  const fronts = (o.install ?? []).map((p) => readPackageFront(p.path))
  const names = new Set<string>()
  for (const f of fronts) {
    const n = nameOf(f.header)
    if (names.has(n)) throw invalid(`package ${n} is in the install set twice`)
    names.add(n)
  }
  const replaces = fronts.map((f) => installed.filter((p) => nameOf(p.header) === nameOf(f.header)))
  const erasing = new Map<number, InstalledPackage>()
  for (const arg of o.erase ?? []) {
    const hits = matchInstalled(installed, arg)
    if (!hits.length) throw new RpmError({ op: "apply", reason: "NotFound", detail: `package ${arg} is not installed` })
    // erasing a name that is also being installed is the upgrade itself
    for (const p of hits) if (!names.has(nameOf(p.header))) erasing.set(p.hnum, p)
  }
  const leaving = new Set<number>([...erasing.keys(), ...replaces.flat().map((p) => p.hnum)])
  const finalOwned = new Set<string>()
  for (const p of installed) if (!leaving.has(p.hnum)) for (const path of filePaths(p.header)) finalOwned.add(path)
  for (const f of fronts) for (const path of filePaths(f.header)) finalOwned.add(path)
  const conflict = fileConflict(
    fronts.map((f) => ({ nevra: nevraOf(f.header), header: f.header })),
    installed.filter((p) => !leaving.has(p.hnum)).map((p) => ({ nevra: nevraOf(p.header), header: p.header })),
  )
  if (conflict) throw invalid(conflict)
  return { dbPath, installed, fronts, order: installOrder(fronts.map((f) => f.header)), replaces, erasing: [...erasing.values()], leaving, finalOwned }
}

/**
 * Unpacks the packages into the import cache ahead of the transaction, two at a time, so
 * decompression overlaps scripts and checkouts. Owners are read from the root as it is when
 * each import starts; a package whose owners change before its turn (a user added by an earlier
 * %pre) is imported again under its new owners key at its turn. The first failure (a corrupt or
 * hostile package) is kept, so the transaction stops before running anything more.
 */
const prefetcher = (paths: ReadonlyArray<string>, cacheDir: string, root: string) => {
  const started: Array<Promise<unknown>> = []
  let next = 0
  let stopped = false
  let failure: unknown
  const pump = async (): Promise<void> => {
    while (!stopped && failure === undefined && next < paths.length) {
      const k = next++
      started[k] = importPackage({ path: paths[k]!, cacheDir, ownersFrom: root }).catch((e: unknown) => void (failure ??= e))
      await started[k]
    }
  }
  const pumps = [pump(), pump()]
  return {
    /** Throws the first failed import, if any. */
    check: (): void => {
      if (failure !== undefined) throw failure
    },
    /** Waits for the prefetch of the k-th path if it has started. */
    wait: async (k: number): Promise<void> => void (await started[k]),
    /** Starts nothing more; resolves once nothing is running. */
    stop: async (): Promise<void> => {
      stopped = true
      await Promise.all(pumps)
    },
  }
}

const apply = async (o: ApplyOptions): Promise<ApplyResult> => {
  const { root } = o
  const runScripts = o.scripts ?? true
  const p = plan(o)
  const { fronts, order, replaces } = p
  const warnings: string[] = []
  const scripts: ScriptRecord[] = []
  let ownedBefore: Set<string> | undefined
  const ownedNow = (path: string): boolean => {
    ownedBefore ??= new Set(p.installed.flatMap((x) => filePaths(x.header)))
    return p.finalOwned.has(path) || ownedBefore.has(path)
  }

  const runScript = async (h: Header, kind: ScriptKind, args: number[], script: Script | undefined, stdin?: string): Promise<void> => {
    if (!runScripts || !script) return
    const pkg = nevraOf(h)
    let rec: ScriptRecord = { pkg, kind, ok: false }
    try {
      const r = await runScriptlet({ root, pkg, script, args, stdin, timeoutMs: o.scriptTimeoutMs, prefixes: strings(h, T.INSTPREFIXES), env: o.env, rofiles: o.rofiles ?? false })
      rec = r.skipped ? { pkg, kind, ok: true, skipped: r.skipped } : { pkg, kind, ok: true }
      if (r.skipped) warnings.push(r.skipped)
    } finally {
      scripts.push(rec)
      o.onScript?.(rec)
    }
  }
  const run = (h: Header, kind: Exclude<ScriptKind, "filetriggerin" | "transfiletriggerin">, args: number[]): Promise<void> => runScript(h, kind, args, scriptOf(h, kind))
  const count = (i: number): number => 1 + replaces[i]!.length

  const pre = prefetcher(order.map((i) => fronts[i]!.path), o.cacheDir, root)
  const linked: LinkedFile[] = []
  const installedNevras: string[] = []
  const erasedNevras: string[] = []
  try {
    for (const i of order) await run(fronts[i]!.header, "pretrans", [count(i)])
    for (const [k, i] of order.entries()) {
      const front = fronts[i]!
      const h = front.header
      pre.check()
      await pre.wait(k)
      // verified and unpacked before its %pre runs; again after it, in case it added an owner
      await importPackage({ path: front.path, cacheDir: o.cacheDir, ownersFrom: root })
      await run(h, "pre", [count(i)])
      const { dir } = await importPackage({ path: front.path, cacheDir: o.cacheDir, ownersFrom: root })
      const config = new Set(headerFiles(h).filter((f) => f.flags & FILE.CONFIG).map((f) => f.path.slice(1)))
      const finish = configPlan({ root, header: h, old: replaces[i]![0]?.header, owned: ownedNow, warnings })
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
      for (const old of replaces[i]!) {
        await run(old.header, "preun", [1])
        removePackageFiles({ root, header: old.header, keep: p.finalOwned, warnings })
        await run(old.header, "postun", [1])
        erasedNevras.push(nevraOf(old.header))
      }
    }
  } finally {
    // nothing of this transaction keeps writing into the cache after it returns
    await pre.stop()
  }

  for (const k of eraseOrder(p.erasing.map((x) => x.header))) {
    const x = p.erasing[k]!
    await run(x.header, "preun", [0])
    removePackageFiles({ root, header: x.header, keep: p.finalOwned, warnings })
    await run(x.header, "postun", [0])
    erasedNevras.push(nevraOf(x.header))
  }

  // rpm 4.18 gives %posttrans the same count as %post (observed: 1 on install, 2 on upgrade)
  for (const i of order) await run(fronts[i]!.header, "posttrans", [count(i)])

  if (runScripts) {
    const after = [...p.installed.filter((x) => !p.leaving.has(x.hnum)).map((x) => x.header), ...order.map((i) => fronts[i]!.header)]
    await fireFileTriggers({ installedAfter: after, newPaths: order.flatMap((i) => newPathsOf(fronts[i]!.header)), newPackages: new Set(fronts.map((f) => f.header)), run: runScript })
    checkLinked(linked, o.cacheDir, warnings)
  }

  updateRpmdb({ path: p.dbPath, remove: [...p.leaving], add: order.map((i) => fronts[i]!), installTime: o.installTime })
  return { installed: installedNevras, erased: erasedNevras, scripts, warnings }
}
