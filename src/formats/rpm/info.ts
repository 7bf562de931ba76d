/**
 * The identity and descriptive fields of a package header, as `rpm -qi` shows them.
 */
import { number, numbers, string, strings, type Header } from "./header.js"
import { formatEvr } from "./evr.js"
import { T } from "./tags.js"

export interface PackageInfo {
  readonly name: string
  readonly epoch: number | undefined
  readonly version: string
  readonly release: string
  readonly arch: string
  /** name-[epoch:]version-release.arch, as dnf prints it. */
  readonly nevra: string
  readonly summary: string
  readonly description: string
  readonly license: string
  readonly url: string | undefined
  readonly vendor: string | undefined
  readonly packager: string | undefined
  readonly group: string | undefined
  readonly buildTime: number | undefined
  readonly buildHost: string | undefined
  readonly sourceRpm: string | undefined
  readonly installedSize: number
  readonly payloadCompressor: string
  readonly fileCount: number
  readonly changelog: ReadonlyArray<{ readonly time: number; readonly name: string; readonly text: string }>
}

/** A source package has no SOURCERPM; rpm reports its arch as "src". */
export const packageArch = (h: Header): string => (string(h, T.SOURCERPM) === undefined && !string(h, T.ARCH) ? "src" : string(h, T.ARCH) ?? "noarch")

export const nevraOf = (h: Header): string => {
  const epoch = number(h, T.EPOCH)
  return `${string(h, T.NAME)}-${formatEvr({ epoch, version: string(h, T.VERSION) ?? "", release: string(h, T.RELEASE) ?? "" })}.${packageArch(h)}`
}

/** name-version-release.arch, as `rpm -q` prints it (rpm's default %{NEVRA} omits the epoch). */
export const nvraOf = (h: Header): string => `${string(h, T.NAME)}-${string(h, T.VERSION)}-${string(h, T.RELEASE)}.${packageArch(h)}`

export const packageInfo = (h: Header): PackageInfo => {
  const times = numbers(h, T.CHANGELOGTIME)
  const names = strings(h, T.CHANGELOGNAME)
  const texts = strings(h, T.CHANGELOGTEXT)
  return {
    name: string(h, T.NAME) ?? "",
    epoch: number(h, T.EPOCH),
    version: string(h, T.VERSION) ?? "",
    release: string(h, T.RELEASE) ?? "",
    arch: packageArch(h),
    nevra: nevraOf(h),
    summary: string(h, T.SUMMARY) ?? "",
    description: string(h, T.DESCRIPTION) ?? "",
    license: string(h, T.LICENSE) ?? "",
    url: string(h, T.URL),
    vendor: string(h, T.VENDOR),
    packager: string(h, T.PACKAGER),
    group: string(h, T.GROUP),
    buildTime: number(h, T.BUILDTIME),
    buildHost: string(h, T.BUILDHOST),
    sourceRpm: string(h, T.SOURCERPM),
    installedSize: number(h, T.LONGSIZE) ?? number(h, T.SIZE) ?? 0,
    payloadCompressor: string(h, T.PAYLOADCOMPRESSOR) ?? "gzip",
    fileCount: strings(h, T.BASENAMES).length || strings(h, T.OLDFILENAMES).length,
    changelog: times.map((time, i) => ({ time, name: names[i] ?? "", text: texts[i] ?? "" })),
  }
}
