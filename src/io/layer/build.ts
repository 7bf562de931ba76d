/**
 * `buildLayeredCommit`: base commit + an origin's layering state → a client-layer commit.
 *
 *   check out the base (hardlinks) into a work dir under the repo's tmp
 *   read its rpmdb; load the repositories and keys of the merge deployment's /etc
 *   resolve (base locked), fetch and verify, copy usr/etc to etc, keep the base rpmdb
 *   apply the packages; /etc back to usr/etc; /var → tmpfiles.d
 *   commit (parent = the base), import local RPMs as pkg commits, refs rpmostree/base/<i>
 *
 * Idempotent: the work dir is rebuilt from scratch, and everything written to the repo is
 * content-addressed (the commit, pkg commits) or a ref a re-run writes the same way. Nothing
 * is written to the repo before the tree is complete.
 */
import { execFileSync } from "node:child_process"
import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { lookup } from "../../formats/gvariant/value.js"
import type { Header } from "../../formats/rpm/header.js"
import { nevraOf as nevraOfHeader } from "../../formats/rpm/info.js"
import { checkout } from "../repo/checkout.js"
import { commitTree } from "../repo/commit.js"
import { adoptAsCheckout } from "../repo/adopt-tree.js"
import { preparedTreePath } from "../sysroot/prepared-tree.js"
import { rofilesAvailable } from "../rpm/bwrap-mounts.js"
import { loadCommit } from "../repo/object-read.js"
import { openRepo } from "../repo/repo.js"
import { readRpmdb } from "../rpm/rpmdb.js"
import { pkglistOfRpmdb } from "../rpm/rpmdb-pkglist.js"
import { parseLayerState, hasPackageChanges, type LayerState } from "../sysroot/origin-layers.js"
import { repoPath } from "../sysroot/layout.js"
import { applyPackages } from "../rpm/apply.js"
import { readPackageFront } from "../rpm/read.js"
import type { Reason } from "../../lib/error.js"

const RPMDB = "usr/share/rpm/rpmdb.sqlite"
import { convertVar, listVar } from "./autovar.js"
import { layerCommitMetadata } from "./commit-meta.js"
import { regenerateInitramfs } from "../initramfs/regenerate.js"
import { LayerError } from "./error.js"
import { fetchRepoPackage, verifyRpm } from "./fetch.js"
import { describeLocal, importLocalCommit, keepLocal, keptLocalPath } from "./local.js"
import { resolveLayer, type LocalInput, type Resolution } from "./resolve.js"
import { loadSources, type Sources } from "./sources.js"

export interface BuildLayerOptions {
  readonly sysroot: string
  /** The base commit (a compose commit, never a client-layer one). */
  readonly base: string
  /** The new deployment's origin, whose [packages]/[overrides]/[rpmostree] say what to layer. */
  readonly origin: string
  /** The merge deployment's directory: its /etc has the repositories and keys. */
  readonly configRoot: string
  /** Local RPM files given on this command line, by the sha256 the origin records. */
  readonly localFiles?: Readonly<Record<string, string>>
  /** Work dir (default `<repo>/tmp/strata-layer-<base>`); removed when done. */
  readonly workDir?: string
  /** Content cache (metadata, packages, imports; default `<repo>/tmp/strata-layer-cache`), kept. */
  readonly cacheDir?: string
  readonly arch?: string
  /**
   * Leave the work tree, made exactly a hardlink checkout of the new commit, at
   * preparedTreePath(sysroot, commit) for the deploy step (src/io/sysroot/prepared-tree.ts):
   * the deployment is then a rename, not a second checkout, and there is no work dir to delete.
   */
  readonly prepareTree?: boolean
}

export interface BuildLayerResult {
  readonly commit: string
  readonly base: string
  /** NEVRAs of the packages the layer added (replacements included). */
  readonly installed: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  readonly replaced: ReadonlyArray<readonly [string, string]>
  readonly inactive: ReadonlyArray<string>
  /** prepareTree: whether the tree was left prepared (bare repositories only). */
  readonly prepared?: boolean
}

export const layerCacheDir = (sysroot: string): string => join(repoPath(sysroot), "tmp", "strata-layer-cache")
export const layerWorkDir = (sysroot: string, base: string): string => join(repoPath(sysroot), "tmp", `strata-layer-${base.slice(0, 16)}`)

/** The base of a deployment's commit: its parent when it is a client-layer commit, else itself. */
export const baseCommitOf = async (sysroot: string, commit: string): Promise<string> => {
  const repo = await openRepo(repoPath(sysroot))
  const c = await loadCommit(repo, commit)
  return lookup(c.metadata, "rpmostree.clientlayer")?.value === true && c.parent ? c.parent : commit
}

/** gpgcheck for local RPMs: on when any enabled repository of the system has it on. */
const localGpgcheck = (s: Sources): boolean => s.repos.some((r) => r.config.gpgcheck)

const locals = async (o: BuildLayerOptions, state: LayerState, sources: Sources): Promise<Map<string, LocalInput>> => {
  const out = new Map<string, LocalInput>()
  for (const l of [...state.requestedLocal, ...state.replaceLocal]) {
    const file = o.localFiles?.[l.sha256] ?? (existsSync(keptLocalPath(o.sysroot, l.sha256)) ? keptLocalPath(o.sysroot, l.sha256) : undefined)
    if (!file) throw new LayerError({ op: "local package", reason: "NotFound", detail: `${l.nevra} (${l.sha256.slice(0, 12)}) is not kept in the repository; give its file again` })
    const d = describeLocal(file)
    if (d.sha256 !== l.sha256) throw new LayerError({ op: "local package", reason: "Invalid", path: file, detail: `changed since it was requested (sha256 ${d.sha256}, expected ${l.sha256})` })
    await verifyRpm({ path: file, nevra: d.nevra, keyring: sources.allKeys, gpgcheck: localGpgcheck(sources) })
    out.set(l.sha256, { sha256: l.sha256, front: d.front, path: file })
  }
  return out
}

/** The package files to install, in the solver's order: downloaded and verified, or local. */
const filesOf = async (r: Resolution, sources: Sources, cacheDir: string): Promise<string[]> => {
  const out: string[] = []
  for (const c of r.install) {
    if (c.kind === "local") {
      out.push(c.local.path)
      continue
    }
    const src = sources.repos.find((x) => x.config.id === c.repo)!
    const path = await fetchRepoPackage({ cacheDir, repo: c.repo, baseurl: src.index.baseurl, pkg: c.pkg })
    await verifyRpm({ path, nevra: c.nevra, ...(sources.keyrings.get(c.repo) ? { keyring: sources.keyrings.get(c.repo)! } : {}), gpgcheck: src.config.gpgcheck })
    out.push(path)
  }
  return out
}

/** apply.ts's failures as one line naming the package (a scriptlet's output kept, its lines joined). */
const applyError = (e: unknown): LayerError => {
  const x = e as { _tag?: string; reason?: Reason; detail?: string; message?: string }
  const detail = (x.detail ?? x.message ?? String(e)).trim().split("\n").map((l) => l.trim()).filter(Boolean).join(" | ")
  return new LayerError({ op: x._tag === "ScriptletError" ? "scriptlet" : "apply", reason: x.reason ?? "Io", detail })
}

/** `cp -a` keeps owners, modes, xattrs and symlinks, and makes new inodes (the base's are the repo's objects). */
const copyTree = (from: string, to: string): void => {
  execFileSync("cp", ["-a", "--", from, to], { stdio: ["ignore", "ignore", "pipe"] })
}

/** A hardlinked copy of the base rpmdb (FORMATS.md §7.2), which `db diff` compares against. */
const keepBaseDb = (root: string): void => {
  const from = join(root, "usr/share/rpm")
  const to = join(root, "usr/lib/sysimage/rpm-ostree-base-db")
  rmSync(to, { recursive: true, force: true })
  mkdirSync(to, { recursive: true })
  for (const n of readdirSync(from)) if (!n.endsWith(".lock")) linkSync(join(from, n), join(to, n))
}

export const buildLayeredCommit = async (o: BuildLayerOptions): Promise<BuildLayerResult> => {
  const state = parseLayerState(o.origin)
  const repo = await openRepo(repoPath(o.sysroot))
  const baseCommit = await loadCommit(repo, o.base)
  if (lookup(baseCommit.metadata, "rpmostree.clientlayer")?.value === true) {
    throw new LayerError({ op: "layer", reason: "Invalid", detail: `${o.base} is a client-layer commit, not a base` })
  }
  const work = o.workDir ?? layerWorkDir(o.sysroot, o.base)
  const cacheDir = o.cacheDir ?? layerCacheDir(o.sysroot)
  rmSync(work, { recursive: true, force: true })
  try {
    mkdirSync(join(work, ".."), { recursive: true })
    // The base is checked out as hardlinks to the sysroot repo's objects — shared with the
    // booted deployment. A scriptlet writing in place into one of them would change both, so
    // scriptlets run on a rofiles-fuse view (as rpm-ostree does); without it, the base is
    // checked out as copies instead (slower, as safe).
    const rofiles = rofilesAvailable()
    const { devino } = await checkout(repo, { rev: o.base, destination: work, reportDevino: true, ...(rofiles ? {} : { forceCopy: true }) })
    let installed: Header[] = []
    let r: Resolution = { install: [], erase: [], removed: [], replaced: [], inactive: [] }
    if (hasPackageChanges(state)) {
      const dbPath = join(work, RPMDB)
      if (!existsSync(dbPath)) throw new LayerError({ op: "layer", reason: "Invalid", detail: `the base ${o.base} has no rpmdb (${RPMDB}): packages cannot be layered on it` })
      const base = readRpmdb(dbPath).map((p) => p.header)
      const needRepos = state.requested.length > 0 || state.replace.length > 0
      const sources = await loadSources({ root: o.configRoot, cacheDir, needed: needRepos })
      const localInputs = await locals(o, state, sources)
      r = resolveLayer({ base, sources, state, locals: localInputs, ...(o.arch ? { arch: o.arch } : {}) })
      const files = await filesOf(r, sources, cacheDir)
      if (existsSync(join(work, "usr/etc")) && !existsSync(join(work, "etc"))) copyTree(join(work, "usr/etc"), join(work, "etc"))
      const baseVar = listVar(work)
      keepBaseDb(work)
      // replacements are upgrades/downgrades of the same name: only removals are erasures
      const removedNevras = r.removed.map(nevraOfHeader)
      try {
        await applyPackages({ root: work, cacheDir: join(cacheDir, "import"), install: files.map((path) => ({ path })), erase: removedNevras, rofiles })
      } catch (e) {
        throw applyError(e)
      }
      if (existsSync(join(work, "etc"))) {
        rmSync(join(work, "usr/etc"), { recursive: true, force: true })
        renameSync(join(work, "etc"), join(work, "usr/etc"))
      }
      convertVar({ root: work, packages: r.install.map((c) => ({ name: c.name, header: (c.kind === "local" ? c.local.front : readPackageFront(files[r.install.indexOf(c)]!)).header })), baseVar })
      installed = readRpmdb(dbPath).map((p) => p.header)
    }
    if (state.regenerateInitramfs || state.initramfsEtc.length) {
      // rpm-ostree: dracut with the base's compose-time arguments (else --no-hostonly) + the origin's,
      // the merge deployment's /etc; initramfs-etc alone only adds the tracked files
      const baseArgs = lookup(baseCommit.metadata, "rpmostree.initramfs-args")
      const mergeEtc = join(o.configRoot, "etc")
      await regenerateInitramfs({
        root: work,
        args: state.initramfsArgs,
        ...(baseArgs?.type === "as" ? { baseArgs: baseArgs.value as string[] } : {}),
        etcFiles: state.initramfsEtc,
        ...(existsSync(mergeEtc) ? { etcDir: mergeEtc } : {}),
        dracut: state.regenerateInitramfs,
      })
    }
    const { commit, imported } = await commitTree(repo, {
      orphan: true,
      parent: o.base,
      trees: [{ dir: work }],
      // the base's files are still hardlinks to their objects: committed unread (ostree's
      // --link-checkout-speedup, with the inodes the checkout verified rather than a scan of the
      // repository); only what the packages added or changed is hashed
      devino: devino ?? new Map(),
      metadata: layerCommitMetadata({
        base: baseCommit.metadata,
        requested: [...state.requested, ...state.requestedLocal.map((l) => l.nevra)],
        removed: r.removed,
        replaced: r.replaced.map(([c, old]) => [installedHeader(installed, c.nevra) ?? old, old] as const),
        pkglist: existsSync(join(work, RPMDB)) ? pkglistOfRpmdb(join(work, RPMDB)) : [],
        repos: [],
      }),
      ...(o.prepareTree ? { reportImported: true } : {}),
    })
    // the tree is the commit's checkout once the files the commit imported are links to their objects
    let prepared = false
    if (o.prepareTree && imported && adoptAsCheckout(repo, imported)) {
      const to = preparedTreePath(o.sysroot, commit)
      rmSync(to, { recursive: true, force: true })
      renameSync(work, to)
      prepared = true
    }
    for (const [sha, file] of Object.entries(o.localFiles ?? {})) {
      if ([...state.requestedLocal, ...state.replaceLocal].some((l) => l.sha256 === sha)) {
        await importLocalCommit({ repo, path: file, cacheDir: join(cacheDir, "import"), ownersFrom: o.configRoot })
        keepLocal(o.sysroot, file, sha)
      }
    }
    return {
      commit,
      base: o.base,
      installed: r.install.map((c) => c.nevra),
      removed: r.erase.filter((n) => !r.replaced.some(([, old]) => nevraOfHeader(old) === n)),
      replaced: r.replaced.map(([c, old]) => [c.nevra, nevraOfHeader(old)] as const),
      inactive: r.inactive,
      ...(o.prepareTree ? { prepared } : {}),
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const installedHeader = (all: ReadonlyArray<Header>, nevra: string): Header | undefined => all.find((h) => nevraOfHeader(h) === nevra)
