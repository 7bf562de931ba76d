/**
 * The metadata of a compose commit (FORMATS.md 3.3): `version` from automatic-version-prefix,
 * `rpmostree.inputhash`, `rpmostree.rpmdb.pkglist`, `ostree.bootable` + `ostree.linux` when the
 * tree has a kernel (and `rpmostree.initramfs-args` when the treefile gives them), `ostree.ref-binding`, and the treefile's add-commit-metadata plus
 * `--add-metadata-string` values. rpm-ostree byte-swaps the whole dict to big-endian; every key
 * written here except integer add-commit-metadata values is endian-neutral (strings, booleans,
 * arrays of strings), so the bytes are the same either way.
 */
import { glibDict, variant, type Variant } from "../../formats/gvariant/index.js"
import type { JsonValue, Treefile } from "../../formats/treefile.js"
import { pkglistVariant, type PkgEntry } from "../../formats/rpmostree/pkglist.js"

const pad = (n: number, w = 2): string => String(n).padStart(w, "0")

/** `<date:%Y%m%d>` in a prefix (rpm-ostree supports strftime formats; the common fields here). */
export const expandDate = (prefix: string, now: Date): string =>
  prefix.replace(/<date:([^>]*)>/g, (_m, fmt: string) =>
    fmt.replace(/%([YmdHMSjy%])/g, (_x, c: string) => {
      switch (c) {
        case "Y": return String(now.getUTCFullYear())
        case "y": return pad(now.getUTCFullYear() % 100)
        case "m": return pad(now.getUTCMonth() + 1)
        case "d": return pad(now.getUTCDate())
        case "H": return pad(now.getUTCHours())
        case "M": return pad(now.getUTCMinutes())
        case "S": return pad(now.getUTCSeconds())
        case "j": return pad(Math.floor((Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - Date.UTC(now.getUTCFullYear(), 0, 1)) / 86400000) + 1, 3)
        default: return "%"
      }
    }),
  )

/**
 * rpm-ostree's next version: the prefix itself the first time (or when the previous version does
 * not start with it), then `<prefix><suffix>1`, `<prefix><suffix>2`, …
 */
export const nextVersion = (prefix: string, previous: string | undefined, suffix = "."): string => {
  if (previous === undefined || !previous.startsWith(prefix)) return prefix
  if (previous === prefix) return `${prefix}${suffix}1`
  const rest = previous.slice(prefix.length)
  const m = rest.startsWith(suffix) ? /^(\d+)/.exec(rest.slice(suffix.length)) : null
  return m ? `${prefix}${suffix}${Number(m[1]) + 1}` : prefix
}

/** A JSON value of add-commit-metadata as a GVariant, the way rpm-ostree maps them. */
export const jsonVariant = (v: JsonValue): Variant => {
  if (typeof v === "string") return variant("s", v)
  if (typeof v === "boolean") return variant("b", v)
  if (typeof v === "number") return Number.isInteger(v) ? variant("x", BigInt(v)) : variant("d", v)
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return variant("as", v)
  return variant("s", JSON.stringify(v))
}

/**
 * `rpmostree.rpmmd-repos` (aa{sv}: id, timestamp): the repositories a compose used and when their
 * metadata was generated. rpm-ostree byte-swaps compose metadata to big-endian, and its readers
 * (status -v, db diff) swap a base commit's values back, so the timestamp is stored as the
 * big-endian bytes of the number — what an rpm-ostree compose commit holds.
 */
export const rpmmdReposVariant = (repos: ReadonlyArray<{ readonly id: string; readonly timestamp: number }>): Variant => {
  const be = Buffer.alloc(8)
  return variant("aa{sv}", repos.map((r) => {
    be.writeBigUInt64BE(BigInt(r.timestamp))
    return glibDict([["id", variant("s", r.id)], ["timestamp", variant("t", be.readBigUInt64LE())]])
  }))
}

export interface CommitMetadataInput {
  readonly treefile: Treefile
  readonly version?: string
  readonly inputhash: string
  readonly pkglist: ReadonlyArray<PkgEntry>
  readonly kver?: string
  /** --add-metadata-string K=V */
  readonly extra?: Readonly<Record<string, string>>
  /** The repositories resolution used: `rpmostree.rpmmd-repos` unless `repo-metadata` is detached or disabled. */
  readonly rpmmdRepos?: ReadonlyArray<{ readonly id: string; readonly timestamp: number }>
}

export const commitMetadata = (i: CommitMetadataInput): Array<readonly [string, Variant]> => {
  const out = new Map<string, Variant>()
  for (const [k, v] of Object.entries(i.treefile["add-commit-metadata"] ?? {})) out.set(k, jsonVariant(v))
  for (const [k, v] of Object.entries(i.extra ?? {})) out.set(k, variant("s", v))
  if (i.version !== undefined) out.set("version", variant("s", i.version))
  if (i.rpmmdRepos && (i.treefile["repo-metadata"] ?? "inline") === "inline") out.set("rpmostree.rpmmd-repos", rpmmdReposVariant(i.rpmmdRepos))
  out.set("rpmostree.inputhash", variant("s", i.inputhash))
  out.set("rpmostree.rpmdb.pkglist", pkglistVariant(i.pkglist))
  if (i.kver) {
    out.set("ostree.bootable", variant("b", true))
    out.set("ostree.linux", variant("s", i.kver))
  }
  // what the client passes to dracut again when it regenerates (src/io/initramfs BASEARGS)
  if (i.kver && i.treefile["initramfs-args"] !== undefined) out.set("rpmostree.initramfs-args", variant("as", [...i.treefile["initramfs-args"]]))
  out.set("ostree.ref-binding", variant("as", [i.treefile.ref]))
  return [...out]
}
