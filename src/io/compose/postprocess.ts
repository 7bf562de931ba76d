/**
 * Post-processing of an assembled root into an OSTree tree (FORMATS.md 7.2, rpm-ostree
 * composepost.rs), in rpm-ostree's order: the treefile's own changes (units, default target,
 * machine-id, add-files, postprocess scripts, remove-files, remove-from-packages), then the layout
 * every OSTree system needs (users to /usr/lib, kernel placement, the rpmdb's macros and links,
 * /etc → /usr/etc, /var → tmpfiles.d, the root skeleton). Every write replaces a file (write a
 * temporary, rename), never edits one in place: the tree's packaged files are hardlinks into the
 * import cache. Postprocess scripts get a copy-up view (run-in-root.ts).
 */
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import type { Treefile } from "../../formats/treefile.js"
import { files as headerFiles } from "../../formats/rpm/files.js"
import { string } from "../../formats/rpm/header.js"
import { T } from "../../formats/rpm/tags.js"
import type { PackageFile } from "../rpm/read.js"
import { composeError } from "./error.js"
import { checkEntries, splitPasswdGroup } from "./passwd.js"
import { runScriptOrFail } from "./run-in-root.js"
import { convertVarToTmpfiles } from "./tmpfiles.js"
import { composeInitramfs } from "./initramfs.js"

export interface PostprocessOptions {
  readonly root: string
  readonly treefile: Treefile
  readonly installed: ReadonlyArray<PackageFile>
  /** The previous commit's usr/lib/passwd and usr/lib/group (check-*: previous). */
  readonly previous?: { readonly passwd?: string; readonly group?: string }
  readonly readFile?: (path: string) => string
  /** The commit's version (automatic-version-prefix or metadata), for mutate-os-release. */
  readonly version?: string
}

export interface PostprocessResult {
  /** The kernel version, when the tree has exactly one kernel. */
  readonly kver?: string
  readonly tmpfiles: ReadonlyArray<string>
}

/** lstat, or undefined when nothing is there. */
const lstatIf = (p: string) => lstatSync(p, { throwIfNoEntry: false })

const relOf = (p: string): string => p.replace(/^\/+/, "")

const replaceSymlink = (target: string, at: string): void => {
  mkdirSync(dirname(at), { recursive: true })
  rmSync(at, { recursive: true, force: true })
  symlinkSync(target, at)
}

/** units: enabled as multi-user.target wants, as rpm-ostree's compose does. */
const enableUnits = (root: string, units: ReadonlyArray<string>): void => {
  for (const u of units) {
    const unitPath = ["usr/lib/systemd/system", "etc/systemd/system"].map((d) => join(root, d, u)).find((p) => lstatIf(p) !== undefined)
    if (!unitPath) throw composeError("compose units", "NotFound", `unit ${u} is not in the tree (usr/lib/systemd/system)`)
    replaceSymlink(`/usr/lib/systemd/system/${u}`, join(root, "etc/systemd/system/multi-user.target.wants", u))
  }
}

const addFiles = (root: string, files: Treefile["add-files"]): void => {
  for (const [src, dest] of files) {
    const to = join(root, relOf(dest))
    if (!existsSync(src)) throw composeError("compose add-files", "NotFound", `${src}: no such file`)
    mkdirSync(dirname(to), { recursive: true })
    rmSync(to, { force: true })
    copyFileSync(src, to)
    chmodSync(to, statSync(src).mode & 0o7777)
  }
}

const compileRegex = (op: string, re: string): RegExp => {
  try {
    return new RegExp(re)
  } catch (e) {
    throw composeError(op, "Invalid", `bad regular expression ${JSON.stringify(re)}: ${(e as Error).message}`)
  }
}

const removeFromPackages = (root: string, spec: Treefile["remove-from-packages"], installed: ReadonlyArray<PackageFile>): void => {
  for (const [pkg, ...res] of spec) {
    const front = installed.find((f) => string(f.header, T.NAME) === pkg)
    if (!front) throw composeError("compose remove-from-packages", "NotFound", `package ${pkg} is not in the tree`)
    const regexes = res.map((r) => compileRegex("compose remove-from-packages", r))
    for (const f of headerFiles(front.header)) {
      if (!regexes.some((r) => r.test(f.path))) continue
      const p = join(root, relOf(f.path))
      if (lstatIf(p)?.isDirectory() === false) rmSync(p, { force: true })
    }
  }
}

/** Removes write permission from every executable regular file in /usr. */
const readonlyExecutables = (root: string): void => {
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n)
      const st = lstatSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isFile() && st.mode & 0o111 && st.mode & 0o222) {
        // a file hardlinked from the import cache gets its own copy first: the cache must not change
        if (st.nlink > 1) {
          copyFileSync(p, `${p}.strata-tmp`)
          chmodSync(`${p}.strata-tmp`, st.mode & 0o7777 & ~0o222)
          renameSync(`${p}.strata-tmp`, p)
        } else chmodSync(p, st.mode & 0o7777 & ~0o222)
      }
    }
  }
  if (existsSync(join(root, "usr"))) walk(join(root, "usr"))
}

/**
 * The kernel goes to usr/lib/modules/<kver>/vmlinuz with its initramfs beside it as
 * initramfs.img (boot-location "modules"; a kernel left in /boot as vmlinuz-<kver> is moved
 * there), and /boot is emptied: ostree copies the kernel to /boot at deploy time.
 */
const placeKernel = (root: string): string | undefined => {
  const modules = join(root, "usr/lib/modules")
  const boot = join(root, "boot")
  if (existsSync(boot)) {
    for (const n of readdirSync(boot)) {
      const m = /^vmlinuz-(.+)$/.exec(n)
      if (!m) continue
      const kdir = join(modules, m[1]!)
      mkdirSync(kdir, { recursive: true })
      if (!existsSync(join(kdir, "vmlinuz"))) renameSync(join(boot, n), join(kdir, "vmlinuz"))
      const initrd = [`initramfs-${m[1]}.img`, `initrd.img-${m[1]}`].map((x) => join(boot, x)).find(existsSync)
      if (initrd && !existsSync(join(kdir, "initramfs.img"))) renameSync(initrd, join(kdir, "initramfs.img"))
    }
    for (const n of readdirSync(boot)) rmSync(join(boot, n), { recursive: true, force: true })
  }
  if (!existsSync(modules)) return undefined
  const kvers = readdirSync(modules).filter((k) => existsSync(join(modules, k, "vmlinuz"))).sort()
  if (kvers.length > 1) throw composeError("compose kernel", "Invalid", `more than one kernel in the tree: ${kvers.join(", ")}`)
  return kvers[0]
}

const RPMDB_MACROS = "usr/lib/rpm/macros.d/macros.rpm-ostree"

/** rpmdb at usr/share/rpm (already written there), the macro that says so, and the compatibility links. */
const rpmdbLayout = (root: string): void => {
  // readable by everyone, as rpm leaves it (`rpm -qa` as a user on the deployed system)
  const db = join(root, "usr/share/rpm")
  // (strata wrote these files: one link each; a packaged one would be the cache's, so it is left)
  if (existsSync(db)) for (const n of readdirSync(db)) if (lstatSync(join(db, n)).isFile() && lstatSync(join(db, n)).nlink === 1) chmodSync(join(db, n), 0o644)
  mkdirSync(join(root, dirname(RPMDB_MACROS)), { recursive: true })
  // a new inode renamed over whatever a package shipped there (a hardlink into the import cache)
  writeFileSync(join(root, `${RPMDB_MACROS}.strata-tmp`), "%_dbpath /usr/share/rpm\n")
  renameSync(join(root, `${RPMDB_MACROS}.strata-tmp`), join(root, RPMDB_MACROS))
  replaceSymlink("../../usr/share/rpm", join(root, "var/lib/rpm"))
  replaceSymlink("../../share/rpm", join(root, "usr/lib/sysimage/rpm"))
}

const moveEtc = (root: string): void => {
  const etc = join(root, "etc")
  if (!existsSync(etc)) return
  if (lstatIf(join(root, "usr/etc"))) throw composeError("compose postprocess", "Invalid", "the tree has both /etc and /usr/etc")
  renameSync(etc, join(root, "usr/etc"))
}

const KEEP = new Set(["usr", "boot", "var"])
const SKELETON_DIRS = ["dev", "proc", "run", "sys", "var", "sysroot", "boot"]
const SKELETON_LINKS: ReadonlyArray<readonly [string, string]> = [
  ["home", "var/home"], ["root", "var/roothome"], ["srv", "var/srv"], ["mnt", "var/mnt"], ["media", "run/media"], ["ostree", "sysroot/ostree"],
]

/**
 * Only usr, boot, var and the lib*, bin, sbin symlinks stay at the top; the rest is the skeleton.
 * `opt-usrlocal: var` (the default) makes /opt and /usr/local links into /var (machine-local
 * state); `root` keeps them as directories of the image.
 */
const rootSkeleton = (root: string, tmpIsDir: boolean, optUsrlocal: "var" | "root"): void => {
  for (const n of readdirSync(root)) {
    const p = join(root, n)
    if (KEEP.has(n) || (n === "opt" && optUsrlocal === "root" && lstatSync(p).isDirectory())) continue
    if (/^(lib\w*|bin|sbin)$/.test(n) && lstatSync(p).isSymbolicLink()) continue
    if (/^(lib\w*|bin|sbin)$/.test(n)) throw composeError("compose postprocess", "Invalid", `/${n} is a directory; an OSTree tree needs it to be a symlink into /usr (UsrMove)`)
    rmSync(p, { recursive: true, force: true })
  }
  for (const d of SKELETON_DIRS) mkdirSync(join(root, d), { recursive: true, mode: 0o755 })
  for (const [name, target] of SKELETON_LINKS) symlinkSync(target, join(root, name))
  if (tmpIsDir) mkdirSync(join(root, "tmp"), { mode: 0o1777 })
  else symlinkSync("sysroot/tmp", join(root, "tmp"))
  const local = join(root, "usr/local")
  if (optUsrlocal === "root") {
    mkdirSync(join(root, "opt"), { recursive: true, mode: 0o755 })
    if (existsSync(join(root, "usr"))) mkdirSync(local, { recursive: true, mode: 0o755 })
    return
  }
  symlinkSync("var/opt", join(root, "opt"))
  const hasFiles = (d: string): boolean => readdirSync(d, { withFileTypes: true }).some((e) => !e.isDirectory() || hasFiles(join(d, e.name)))
  if (lstatIf(local)?.isDirectory() && hasFiles(local))
    throw composeError("compose postprocess", "Invalid", "packages installed files under /usr/local, which is a link to /var/usrlocal on OSTree systems (opt-usrlocal: root keeps it a directory)")
  if (existsSync(join(root, "usr"))) replaceSymlink("../var/usrlocal", local)
}

/** Resolves a symlink chain inside `root` (absolute targets are relative to the root, never the host's). */
const resolveInRoot = (root: string, rel: string, depth = 0): string | undefined => {
  if (depth > 16) return undefined
  const p = join(root, rel)
  if (!lstatIf(p)) return undefined
  if (!lstatSync(p).isSymbolicLink()) return rel
  const target = readlinkSync(p)
  const next = target.startsWith("/") ? relOf(target) : join(dirname(rel), target)
  if (next.startsWith("..")) return undefined
  return resolveInRoot(root, next, depth + 1)
}

/**
 * mutate-os-release (rpm-ostree composepost.rs): in VERSION= and PRETTY_NAME=, the treefile's
 * string is replaced by the commit's version, and OSTREE_VERSION= is added. The file is replaced
 * (new inode), never edited: it is a hardlink into the import cache.
 */
const mutateOsRelease = (root: string, base: string, version: string | undefined): void => {
  if (!version) return
  const rel = resolveInRoot(root, "etc/os-release") ?? resolveInRoot(root, "usr/lib/os-release")
  if (!rel) throw composeError("compose mutate-os-release", "NotFound", "the tree has no /etc/os-release or /usr/lib/os-release")
  const lines = readFileSync(join(root, rel), "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("OSTREE_VERSION="))
  const out = lines.map((l) => (/^(VERSION|PRETTY_NAME)=/.test(l) ? l.replace(/=.*/s, (v) => v.split(base).join(version)) : l))
  out.push(`OSTREE_VERSION='${version.replace(/'/g, "'\\''")}'`)
  const p = join(root, rel)
  const mode = statSync(p).mode & 0o7777
  writeFileSync(`${p}.strata-tmp`, `${out.join("\n")}\n`, { mode })
  renameSync(`${p}.strata-tmp`, p)
}

export const postprocess = async (o: PostprocessOptions): Promise<PostprocessResult> => {
  const { root, treefile: tf } = o
  const readFile = o.readFile ?? ((p: string) => readFileSync(p, "utf8"))
  mkdirSync(join(root, "etc"), { recursive: true })
  enableUnits(root, tf.units)
  if (tf["default-target"]) replaceSymlink(`/usr/lib/systemd/system/${tf["default-target"]}`, join(root, "etc/systemd/system/default.target"))
  if (tf["machineid-compat"]) {
    if (!existsSync(join(root, "etc/machine-id"))) writeFileSync(join(root, "etc/machine-id"), "")
  } else rmSync(join(root, "etc/machine-id"), { force: true })
  addFiles(root, tf["add-files"])
  // included treefiles' scripts first (the merge put them first), then postprocess-script
  for (const [i, script] of tf.postprocess.entries()) await runScriptOrFail({ root, script, name: `postprocess script ${i + 1}` })
  const ps = tf["postprocess-script"]
  if (ps) {
    let script: string
    try {
      script = readFile(ps)
    } catch (e) {
      throw composeError("compose postprocess", "NotFound", `postprocess-script ${ps}: ${(e as Error).message}`)
    }
    await runScriptOrFail({ root, script, name: `postprocess-script ${ps}` })
  }
  for (const f of tf["remove-files"]) {
    if (f.startsWith("/")) throw composeError("compose remove-files", "Invalid", `${f}: paths must be relative to the tree (no leading /)`)
    rmSync(join(root, f), { recursive: true, force: true })
  }
  removeFromPackages(root, tf["remove-from-packages"], o.installed)
  // shadow-utils' backup copies are not shipped (rpm-ostree removes them too)
  for (const f of ["passwd-", "group-", "shadow-", "gshadow-"]) rmSync(join(root, "etc", f), { force: true })
  const users = splitPasswdGroup(root, tf["etc-group-members"])
  checkEntries("passwd", users.passwd, tf["check-passwd"], o.previous?.passwd, readFile, tf["ignore-removed-users"])
  checkEntries("group", users.group, tf["check-groups"], o.previous?.group, readFile, tf["ignore-removed-groups"])
  if (tf["mutate-os-release"] !== undefined) mutateOsRelease(root, tf["mutate-os-release"], o.version)
  // container trees have no kernel of their own: /boot and any kernel files stay as packaged
  const kver = tf.container ? undefined : placeKernel(root)
  if (kver) await composeInitramfs(root, kver, tf)
  rpmdbLayout(root)
  if (tf["readonly-executables"]) readonlyExecutables(root)
  moveEtc(root)
  const tmpfiles = convertVarToTmpfiles(root)
  rootSkeleton(root, tf["tmp-is-dir"], tf["opt-usrlocal"] ?? "var")
  return { ...(kver ? { kver } : {}), tmpfiles }
}
