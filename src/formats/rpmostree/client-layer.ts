/**
 * What a commit's metadata says about client-side layering (FORMATS.md 3.3; rpm-ostree
 * `rust/src/daemon.rs` deployment_layeredmeta_from_commit_impl, `src/libpriv/rpmostree-util.cxx`
 * rpmostree_deployment_get_layered_info):
 *
 * - layered when `rpmostree.clientlayer` is true, or (very old layers) `rpmostree.spec` exists;
 *   the base commit is then the commit's parent;
 * - `rpmostree.clientlayer_version` gates the fields: ≥1 `rpmostree.packages` (as; before it,
 *   `rpmostree.spec`'s `packages`), ≥2 `rpmostree.removed-base-packages` (av of (sstsss)) and
 *   `rpmostree.replaced-base-packages` (a(vv): new, old), ≥6
 *   `rpmostree.replaced-base-remote-packages` (a{sv}: source → a(vv)).
 *
 * Values are kept as GVariant values (Variant) where status --json passes them through.
 */
import { lookup, type Variant, type VarDict } from "../gvariant/index.js"

export const CLIENTLAYER_VERSION = 6

export interface LayeredInfo {
  readonly layered: boolean
  readonly clientlayerVersion: number
  /** Requested packages recorded in the layer (`rpmostree.packages`). */
  readonly packages: ReadonlyArray<string>
  /** `av` of `(sstsss)`: nevra, name, epoch, version, release, arch. */
  readonly removedBase: ReadonlyArray<Variant>
  /** `a(vv)`: [new, old], each a `(sstsss)` variant. */
  readonly replacedBaseLocal: ReadonlyArray<readonly [Variant, Variant]>
  /** `a{sv}`: source → `a(vv)`. */
  readonly replacedBaseRemote: VarDict
}

const bool = (v: Variant | undefined): boolean | undefined => (v && v.type === "b" ? (v.value as boolean) : undefined)
const strv = (v: Variant | undefined): string[] => (v && v.type === "as" && Array.isArray(v.value) ? (v.value as string[]) : [])

export const isClientLayer = (meta: VarDict): boolean => bool(lookup(meta, "rpmostree.clientlayer")) ?? lookup(meta, "rpmostree.spec") !== undefined

export const layeredInfo = (meta: VarDict): LayeredInfo => {
  const layered = isClientLayer(meta)
  const ver = lookup(meta, "rpmostree.clientlayer_version")
  const clientlayerVersion = layered && ver?.type === "u" ? (ver.value as number) : 0
  if (!layered) return { layered, clientlayerVersion, packages: [], removedBase: [], replacedBaseLocal: [], replacedBaseRemote: [] }
  let packages: string[]
  if (clientlayerVersion >= 1) packages = strv(lookup(meta, "rpmostree.packages"))
  else {
    const spec = lookup(meta, "rpmostree.spec")
    packages = spec?.type === "a{sv}" ? strv(lookup(spec.value as VarDict, "packages")) : []
  }
  const removed = clientlayerVersion >= 2 ? lookup(meta, "rpmostree.removed-base-packages") : undefined
  const replaced = clientlayerVersion >= 2 ? lookup(meta, "rpmostree.replaced-base-packages") : undefined
  const remote = clientlayerVersion >= 6 ? lookup(meta, "rpmostree.replaced-base-remote-packages") : undefined
  return {
    layered,
    clientlayerVersion,
    packages,
    removedBase: removed?.type === "av" ? (removed.value as Variant[]) : [],
    replacedBaseLocal: replaced?.type === "a(vv)" ? (replaced.value as Array<[Variant, Variant]>) : [],
    replacedBaseRemote: remote?.type === "a{sv}" ? (remote.value as VarDict) : [],
  }
}

/** `(sstsss)` → its NEVRA (the first member). */
export const nevraOfSstsss = (v: Variant): string => (Array.isArray(v.value) && typeof v.value[0] === "string" ? v.value[0] : "")

/** The name of a `(sstsss)` package. */
export const nameOfSstsss = (v: Variant): string => (Array.isArray(v.value) && typeof v.value[1] === "string" ? v.value[1] : "")
