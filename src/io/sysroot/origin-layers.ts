/**
 * rpm-ostree's layering state in a deployment's `.origin` (FORMATS.md §6.6, rpm-ostree
 * rust/src/origin.rs):
 *
 *   [origin]     refspec=R, or baserefspec=R whenever any state below exists
 *   [packages]   requested=a;b;   requested-local=<sha256>:<nevra>;
 *   [overrides]  remove=a;b;   replace-local=<sha256>:<nevra>;   replace=repo=R,p1,p2;
 *   [rpmostree]  regenerate-initramfs=true   initramfs-args=--a;--b;   initramfs-etc=/etc/x;
 *
 * Lists are written `a;b;c;`; empty lists and empty groups are removed, as rpm-ostree does. Keys
 * strata does not know (custom-url, unconfigured-state, other groups) are kept untouched.
 */
import {
  emptyKeyfile, getBoolean, getList, parseKeyfile, removeGroup, removeKey, serializeKeyfile, setBoolean, setList, groups, keys,
  type Keyfile,
} from "../../formats/keyfile.js"
import { SysrootError } from "./error.js"

/** An RPM file given by path: the SHA-256 of its lead+signature+header, and its NEVRA. */
export interface LocalPackage {
  readonly sha256: string
  readonly nevra: string
}

/** `replace=repo=R,p1,p2`: replace base packages by the repository R's versions. */
export interface RemoteReplace {
  readonly repo: string
  readonly packages: ReadonlyArray<string>
}

export interface LayerState {
  readonly requested: ReadonlyArray<string>
  readonly requestedLocal: ReadonlyArray<LocalPackage>
  readonly remove: ReadonlyArray<string>
  readonly replaceLocal: ReadonlyArray<LocalPackage>
  readonly replace: ReadonlyArray<RemoteReplace>
  readonly regenerateInitramfs: boolean
  readonly initramfsArgs: ReadonlyArray<string>
  readonly initramfsEtc: ReadonlyArray<string>
}

export const emptyLayerState: LayerState = {
  requested: [], requestedLocal: [], remove: [], replaceLocal: [], replace: [], regenerateInitramfs: false, initramfsArgs: [], initramfsEtc: [],
}

/** Anything that makes the deployment a locally assembled one (rpm-ostree: may_require_local_assembly). */
export const hasLayerState = (s: LayerState): boolean =>
  s.requested.length > 0 || s.requestedLocal.length > 0 || s.remove.length > 0 || s.replaceLocal.length > 0 || s.replace.length > 0 ||
  s.regenerateInitramfs || s.initramfsEtc.length > 0

/** Package changes only (what needs a solver and an rpmdb); initramfs state alone does not. */
export const hasPackageChanges = (s: LayerState): boolean =>
  s.requested.length > 0 || s.requestedLocal.length > 0 || s.remove.length > 0 || s.replaceLocal.length > 0 || s.replace.length > 0

const invalid = (detail: string): SysrootError => new SysrootError({ op: "origin", reason: "Invalid", detail })

const parse = (text: string): Keyfile => {
  try {
    return text ? parseKeyfile(text) : emptyKeyfile()
  } catch (e) {
    throw invalid(`malformed origin: ${(e as Error).message}`)
  }
}

const SHA256 = /^[0-9a-f]{64}$/

export const parseLocal = (item: string, key: string): LocalPackage => {
  const i = item.indexOf(":")
  const sha256 = item.slice(0, i)
  const nevra = item.slice(i + 1)
  if (i < 0 || !SHA256.test(sha256) || !nevra) throw invalid(`malformed ${key} entry "${item}" (expected <sha256>:<nevra>)`)
  return { sha256, nevra }
}

export const formatLocal = (p: LocalPackage): string => `${p.sha256}:${p.nevra}`

const parseReplace = (item: string): RemoteReplace => {
  const parts = item.split(",")
  const head = parts[0] ?? ""
  if (!head.startsWith("repo=") || head.length <= 5 || parts.length < 2 || parts.slice(1).some((p) => !p)) {
    throw invalid(`malformed replace entry "${item}" (expected repo=REPO,PKG[,PKG...])`)
  }
  return { repo: head.slice(5), packages: parts.slice(1) }
}

export const formatReplace = (r: RemoteReplace): string => `repo=${r.repo},${r.packages.join(",")}`

const list = (kf: Keyfile, group: string, key: string): string[] => {
  try {
    return (getList(kf, group, key) ?? []).filter((x) => x !== "")
  } catch (e) {
    throw invalid(`malformed origin: ${(e as Error).message}`)
  }
}

/** The layering state of an origin (empty for a plain ostree origin). */
export const parseLayerState = (origin: string): LayerState => {
  const kf = parse(origin)
  let regenerateInitramfs = false
  try {
    regenerateInitramfs = getBoolean(kf, "rpmostree", "regenerate-initramfs") ?? false
  } catch (e) {
    throw invalid(`malformed origin: ${(e as Error).message}`)
  }
  return {
    requested: list(kf, "packages", "requested"),
    requestedLocal: list(kf, "packages", "requested-local").map((x) => parseLocal(x, "requested-local")),
    remove: list(kf, "overrides", "remove"),
    replaceLocal: list(kf, "overrides", "replace-local").map((x) => parseLocal(x, "replace-local")),
    replace: list(kf, "overrides", "replace").map(parseReplace),
    regenerateInitramfs,
    initramfsArgs: list(kf, "rpmostree", "initramfs-args"),
    initramfsEtc: list(kf, "rpmostree", "initramfs-etc"),
  }
}

const putList = (kf: Keyfile, group: string, key: string, values: ReadonlyArray<string>): void => {
  if (values.length) setList(kf, group, key, values)
  else removeKey(kf, group, key)
}

const dropIfEmpty = (kf: Keyfile, group: string): void => {
  if (groups(kf).includes(group) && keys(kf, group).length === 0) removeGroup(kf, group)
}

/**
 * `origin` with its layering state replaced by `s`; `[origin]` switches between `refspec` and
 * `baserefspec` as rpm-ostree's sync_baserefspec does.
 */
export const withLayerState = (origin: string, s: LayerState): string => {
  const kf = parse(origin)
  putList(kf, "packages", "requested", s.requested)
  putList(kf, "packages", "requested-local", s.requestedLocal.map(formatLocal))
  putList(kf, "overrides", "remove", s.remove)
  putList(kf, "overrides", "replace-local", s.replaceLocal.map(formatLocal))
  putList(kf, "overrides", "replace", s.replace.map(formatReplace))
  if (s.regenerateInitramfs) setBoolean(kf, "rpmostree", "regenerate-initramfs", true)
  else removeKey(kf, "rpmostree", "regenerate-initramfs")
  putList(kf, "rpmostree", "initramfs-args", s.initramfsArgs)
  putList(kf, "rpmostree", "initramfs-etc", s.initramfsEtc)
  for (const g of ["packages", "overrides", "rpmostree"]) dropIfEmpty(kf, g)
  // renamed in place: the key keeps its line (override-commit etc. stay after it)
  const want = hasLayerState(s) ? "baserefspec" : "refspec"
  const lines = kf.groups.find((g) => g.name === "origin")?.lines ?? []
  const i = lines.findIndex((l) => l.kind === "key" && (l.key === "refspec" || l.key === "baserefspec"))
  const line = lines[i]
  if (line?.kind === "key" && line.key !== want) {
    removeKey(kf, "origin", want) // both present: the one kept is the one in use
    lines.splice(lines.indexOf(line), 1, { kind: "key", key: want, value: line.value })
  }
  return serializeKeyfile(kf).replace(/\n+$/, "\n")
}
