/**
 * The metadata of a client-layer commit (FORMATS.md §3.3), in native (LE) order as rpm-ostree
 * writes it: the base's `version` and `ostree.linux`, `rpmostree.clientlayer`, what was
 * requested, removed and replaced, and the resulting package list.
 */
import { lookup, variant, type Variant, type VarDict } from "../../formats/gvariant/value.js"
import { number, string, type Header } from "../../formats/rpm/header.js"
import { nevraOf, packageArch } from "../../formats/rpm/info.js"
import { T } from "../../formats/rpm/tags.js"
import { CLIENTLAYER_VERSION } from "../../formats/rpmostree/client-layer.js"
import { PKGLIST_KEY, pkglistVariant, type PkgEntry } from "../../formats/rpmostree/pkglist.js"


/** `(sstsss)`: nevra, name, epoch, version, release, arch — rpm-ostree's package variant. */
export const pkgVariant = (h: Header): Variant =>
  variant("(sstsss)", [nevraOf(h), string(h, T.NAME) ?? "", BigInt(number(h, T.EPOCH) ?? 0), string(h, T.VERSION) ?? "", string(h, T.RELEASE) ?? "", packageArch(h)])

export interface LayerMeta {
  readonly base: VarDict
  readonly requested: ReadonlyArray<string>
  readonly removed: ReadonlyArray<Header>
  readonly replaced: ReadonlyArray<readonly [Header, Header]>
  /** The layered tree's package list (pkglistOfRpmdb). */
  readonly pkglist: ReadonlyArray<PkgEntry>
  readonly repos: ReadonlyArray<{ readonly id: string; readonly timestamp: bigint }>
}

export const layerCommitMetadata = (m: LayerMeta): Array<readonly [string, Variant]> => {
  const out: Array<readonly [string, Variant]> = []
  const version = lookup(m.base, "version")
  if (version) out.push(["version", version])
  out.push(
    ["rpmostree.clientlayer", variant("b", true)],
    ["rpmostree.clientlayer_version", variant("u", CLIENTLAYER_VERSION)],
    ["rpmostree.rpmmd-repos", variant("aa{sv}", m.repos.map((r) => [["id", variant("s", r.id)], ["timestamp", variant("t", r.timestamp)]]))],
    ["rpmostree.packages", variant("as", [...m.requested].sort())],
    ["rpmostree.modules", variant("as", [])],
    ["rpmostree.removed-base-packages", variant("av", m.removed.map(pkgVariant))],
    ["rpmostree.replaced-base-packages", variant("a(vv)", m.replaced.map(([n, o]) => [pkgVariant(n), pkgVariant(o)]))],
    [PKGLIST_KEY, pkglistVariant(m.pkglist)],
    ["ostree.bootable", variant("b", true)],
  )
  const linux = lookup(m.base, "ostree.linux")
  if (linux) out.push(["ostree.linux", linux])
  return out
}
