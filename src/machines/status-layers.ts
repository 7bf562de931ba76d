/**
 * The layering part of a deployment's status, as rpm-ostree's daemon assembles it
 * (`src/daemon/rpmostreed-deployment-utils.cxx` rpmostreed_deployment_generate_variant,
 * `rust/src/daemon.rs` deployment_populate_variant_origin):
 *
 * - what was *requested* comes from the origin (`[packages]`, `[overrides]`, `[rpmostree]`);
 * - what *happened* comes from the client-layer commit's metadata (`rpmostree.packages`,
 *   `…removed-base-packages`, `…replaced-base-packages`, `…replaced-base-remote-packages`), and
 *   the base is that commit's parent.
 *
 * A request that the commit does not show is inactive (rpm-ostree prints those with -v).
 */
import type { Variant, VarDict } from "../formats/gvariant/index.js"
import { layeredInfo, nameOfSstsss, nevraOfSstsss } from "../formats/rpmostree/client-layer.js"
import { emptyLayerState, parseLayerState, type LayerState } from "../io/sysroot/origin-layers.js"

/** One `(sstsss)` package as status shows it. */
export interface StatusPkg {
  readonly nevra: string
  readonly name: string
  /** `[epoch:]version-release`, no `0:` (gv_nevra_to_evr). */
  readonly evr: string
}

export interface Replacement {
  readonly new: StatusPkg
  readonly old: StatusPkg
}

/** What the client-layer commit records; absent for a deployment of a plain base commit. */
export interface LayerFacts {
  readonly baseChecksum: string
  readonly clientlayerVersion: number
  readonly packages: ReadonlyArray<string>
  readonly removed: ReadonlyArray<StatusPkg>
  readonly replacedLocal: ReadonlyArray<Replacement>
  readonly replacedRemote: ReadonlyArray<{ readonly source: string; readonly replaced: ReadonlyArray<Replacement> }>
  /** The raw values, for --json (GVariant-shaped, as json-glib prints them). */
  readonly raw: {
    readonly removed: ReadonlyArray<Variant>
    readonly replacedLocal: ReadonlyArray<readonly [Variant, Variant]>
    readonly replacedRemote: VarDict
  }
}

const pkgOf = (v: Variant): StatusPkg => {
  const t = Array.isArray(v.value) ? (v.value as unknown[]) : []
  const epoch = typeof t[2] === "bigint" || typeof t[2] === "number" ? `${t[2]}` : "0"
  return { nevra: nevraOfSstsss(v), name: nameOfSstsss(v), evr: `${epoch !== "0" ? `${epoch}:` : ""}${String(t[3] ?? "")}-${String(t[4] ?? "")}` }
}

const pairs = (v: ReadonlyArray<readonly [Variant, Variant]>): Replacement[] => v.map(([n, o]) => ({ new: pkgOf(n), old: pkgOf(o) }))

/** The layer facts of a commit with `meta` and `parent`; undefined when it is not a client layer. */
export const layerFacts = (meta: VarDict, parent: string | null): LayerFacts | undefined => {
  const info = layeredInfo(meta)
  if (!info.layered || !parent) return undefined
  return {
    baseChecksum: parent,
    clientlayerVersion: info.clientlayerVersion,
    packages: info.packages,
    removed: info.removedBase.map(pkgOf),
    replacedLocal: pairs(info.replacedBaseLocal),
    replacedRemote: info.replacedBaseRemote.map(([source, v]) => ({ source, replaced: pairs(Array.isArray(v.value) ? (v.value as Array<[Variant, Variant]>) : []) })),
    raw: { removed: info.removedBase, replacedLocal: info.replacedBaseLocal, replacedRemote: info.replacedBaseRemote },
  }
}

/** The origin's layering requests; a malformed origin shows none rather than failing status. */
export const layerRequests = (origin: string | undefined): LayerState => {
  if (!origin) return emptyLayerState
  try {
    return parseLayerState(origin)
  } catch {
    return emptyLayerState
  }
}

/** filter_commit_meta: the keys status promotes or that are too verbose to pass through. */
const FILTERED = new Set([
  "rpmostree.rpmdb.pkglist", "rpmostree.advisories", "rpmostree.packages", "rpmostree.modules", "rpmostree.spec",
  "rpmostree.removed-base-packages", "rpmostree.replaced-base-packages", "rpmostree.replaced-base-remote-packages",
])

export const filterCommitMeta = (meta: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> =>
  Object.fromEntries(Object.entries(meta ?? {}).filter(([k]) => !FILTERED.has(k)))
