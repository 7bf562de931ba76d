/**
 * What each layering command does to the origin's layering state (rpm-ostree's semantics,
 * FORMATS.md §7.3), as pure functions: the plan applies one to the merge deployment's state,
 * under the lock, and refuses a request that makes no sense with one clear line.
 *
 *   install P | ./x.rpm        [packages] requested / requested-local
 *   uninstall P | --all        the same, removed
 *   override remove P          [overrides] remove (+ replace-local with --replace-with)
 *   override replace ./x.rpm   [overrides] replace-local;  --from repo=R P: replace=repo=R,P
 *   override reset P | --all   the overrides naming P (or all) removed
 *   reset [--overlays] [--overrides]   packages and/or overrides (both, and initramfs state, by default)
 *   initramfs --enable [--arg=A]… | --disable   [rpmostree] regenerate-initramfs, initramfs-args
 *   initramfs-etc --track=F | --untrack=F | --untrack-all   [rpmostree] initramfs-etc
 */
import type { LayerState, LocalPackage } from "../io/sysroot/origin-layers.js"
import { checkEtcPath } from "../io/initramfs/etc-overlay.js"
import { TransactionError } from "./runtime/error.js"

export type LayerEdit =
  | { readonly op: "install"; readonly packages: ReadonlyArray<string>; readonly locals: ReadonlyArray<LocalPackage>; readonly idempotent?: boolean; readonly allowInactive?: boolean }
  | { readonly op: "uninstall"; readonly packages: ReadonlyArray<string>; readonly all?: boolean; readonly idempotent?: boolean }
  | { readonly op: "override-remove"; readonly packages: ReadonlyArray<string>; readonly replaceWith: ReadonlyArray<LocalPackage> }
  | { readonly op: "override-replace"; readonly locals: ReadonlyArray<LocalPackage>; readonly from?: { readonly repo: string; readonly packages: ReadonlyArray<string> } }
  | { readonly op: "override-reset"; readonly packages: ReadonlyArray<string>; readonly all?: boolean }
  | { readonly op: "reset"; readonly overlays?: boolean; readonly overrides?: boolean }
  | { readonly op: "initramfs"; readonly enable: boolean; readonly args: ReadonlyArray<string> }
  | { readonly op: "initramfs-etc"; readonly track: ReadonlyArray<string>; readonly untrack: ReadonlyArray<string>; readonly untrackAll?: boolean }

/** What the plan knows of the base: its package names (to refuse requests that are no-ops). */
export interface BaseInfo {
  readonly names: ReadonlySet<string>
}

const invalid = (op: string, detail: string): never => {
  throw new TransactionError({ op, reason: "Invalid", detail })
}

const nameOfNevra = (nevra: string): string => nevra.replace(/-[^-]+-[^-]+$/, "")

const uniq = <T>(xs: ReadonlyArray<T>): T[] => [...new Set(xs)]

export const applyEdit = (s: LayerState, e: LayerEdit, base: BaseInfo): LayerState => {
  switch (e.op) {
    case "install": {
      if (!e.packages.length && !e.locals.length) invalid("install", "nothing to install: give PACKAGE or ./FILE.rpm")
      const already = [...e.packages.filter((p) => s.requested.includes(p)), ...e.locals.filter((l) => s.requestedLocal.some((x) => x.sha256 === l.sha256)).map((l) => l.nevra)]
      if (already.length && !e.idempotent) invalid("install", `already requested: ${already.join(", ")}`)
      const inBase = e.packages.filter((p) => base.names.has(p))
      if (inBase.length && !e.allowInactive) invalid("install", `already provided by the base: ${inBase.join(", ")} (use --allow-inactive to request it anyway)`)
      const localInBase = e.locals.filter((l) => base.names.has(nameOfNevra(l.nevra)))
      if (localInBase.length) invalid("install", `in the base: ${localInBase.map((l) => nameOfNevra(l.nevra)).join(", ")}; use "override replace" for a base package`)
      return {
        ...s,
        requested: uniq([...s.requested, ...e.packages]),
        requestedLocal: [...s.requestedLocal, ...e.locals.filter((l) => !s.requestedLocal.some((x) => x.sha256 === l.sha256))],
      }
    }
    case "uninstall": {
      if (e.all) return { ...s, requested: [], requestedLocal: [] }
      if (!e.packages.length) invalid("uninstall", "nothing to uninstall: give PACKAGE or --all")
      const matches = (p: string) => s.requested.includes(p) || s.requestedLocal.some((l) => l.nevra === p || nameOfNevra(l.nevra) === p)
      const missing = e.packages.filter((p) => !matches(p))
      if (missing.length && !e.idempotent) invalid("uninstall", `not requested: ${missing.join(", ")}`)
      return {
        ...s,
        requested: s.requested.filter((p) => !e.packages.includes(p)),
        requestedLocal: s.requestedLocal.filter((l) => !e.packages.includes(l.nevra) && !e.packages.includes(nameOfNevra(l.nevra))),
      }
    }
    case "override-remove": {
      if (!e.packages.length) invalid("override remove", "nothing to remove: give PACKAGE")
      const notInBase = e.packages.filter((p) => !base.names.has(p))
      if (notInBase.length) invalid("override remove", `not in the base: ${notInBase.join(", ")}`)
      const dup = e.packages.filter((p) => s.remove.includes(p))
      if (dup.length) invalid("override remove", `already removed: ${dup.join(", ")}`)
      return { ...s, remove: [...s.remove, ...e.packages], replaceLocal: [...s.replaceLocal, ...e.replaceWith] }
    }
    case "override-replace": {
      if (e.from) {
        if (!e.from.packages.length) invalid("override replace", "--from repo=REPO needs PACKAGE names")
        const notInBase = e.from.packages.filter((p) => !base.names.has(p))
        if (notInBase.length) invalid("override replace", `not in the base: ${notInBase.join(", ")}`)
        return { ...s, replace: [...s.replace.filter((r) => r.repo !== e.from!.repo), { repo: e.from.repo, packages: uniq([...(s.replace.find((r) => r.repo === e.from!.repo)?.packages ?? []), ...e.from.packages]) }] }
      }
      if (!e.locals.length) invalid("override replace", "nothing to replace with: give ./FILE.rpm or --from repo=REPO PACKAGE")
      const notInBase = e.locals.filter((l) => !base.names.has(nameOfNevra(l.nevra)))
      if (notInBase.length) invalid("override replace", `not in the base: ${notInBase.map((l) => nameOfNevra(l.nevra)).join(", ")} (use "install")`)
      const names = e.locals.map((l) => nameOfNevra(l.nevra))
      return { ...s, replaceLocal: [...s.replaceLocal.filter((l) => !names.includes(nameOfNevra(l.nevra))), ...e.locals] }
    }
    case "override-reset": {
      if (e.all) return { ...s, remove: [], replaceLocal: [], replace: [] }
      if (!e.packages.length) invalid("override reset", "nothing to reset: give PACKAGE or --all")
      const has = (p: string) => s.remove.includes(p) || s.replaceLocal.some((l) => nameOfNevra(l.nevra) === p || l.nevra === p) || s.replace.some((r) => r.packages.includes(p))
      const missing = e.packages.filter((p) => !has(p))
      if (missing.length) invalid("override reset", `no override for: ${missing.join(", ")}`)
      const gone = (p: string) => e.packages.includes(p)
      return {
        ...s,
        remove: s.remove.filter((p) => !gone(p)),
        replaceLocal: s.replaceLocal.filter((l) => !gone(l.nevra) && !gone(nameOfNevra(l.nevra))),
        replace: s.replace.map((r) => ({ ...r, packages: r.packages.filter((p) => !gone(p)) })).filter((r) => r.packages.length > 0),
      }
    }
    case "reset": {
      const both = !e.overlays && !e.overrides
      return {
        ...s,
        ...(e.overlays || both ? { requested: [], requestedLocal: [] } : {}),
        ...(e.overrides || both ? { remove: [], replaceLocal: [], replace: [] } : {}),
        ...(both ? { regenerateInitramfs: false, initramfsArgs: [], initramfsEtc: [] } : {}),
      }
    }
    case "initramfs": {
      // rpmostreed-transaction-types.cxx initramfs_state: args are not compared; any given reruns
      if (!e.enable && e.args.length) invalid("initramfs", "cannot combine --disable and --arg")
      if (s.regenerateInitramfs === e.enable && s.initramfsArgs.length === 0 && e.args.length === 0) {
        invalid("initramfs", `initramfs regeneration state is already ${e.enable ? "enabled" : "disabled"}`)
      }
      return { ...s, regenerateInitramfs: e.enable, initramfsArgs: e.enable ? [...e.args] : [] }
    }
    case "initramfs-etc": {
      const wrap = (p: string): string => {
        try {
          return checkEtcPath(p)
        } catch (x) {
          return invalid("initramfs-etc", (x as Error).message.replace(/^initramfs-etc: /, ""))
        }
      }
      const track = e.track.map(wrap)
      const untrack = e.untrack.map(wrap)
      const kept = e.untrackAll ? [] : s.initramfsEtc.filter((f) => !untrack.includes(f))
      return { ...s, initramfsEtc: uniq([...kept, ...track]).sort() }
    }
  }
}
