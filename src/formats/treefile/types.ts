/**
 * An expanded treefile: includes merged, `packages-$basearch` folded into `packages` (split on
 * whitespace), `${var}` substituted in `ref`, `metadata`, `add-commit-metadata`, `automatic-version-prefix` and `mutate-os-release`, defaults filled. Keys are rpm-ostree's
 * field names, so `--print-only` prints this object as is.
 */
export type CheckSpec =
  | { readonly type: "none" | "previous" }
  | { readonly type: "file"; readonly filename: string }
  | { readonly type: "data"; readonly entries?: unknown }

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue }

export interface Treefile {
  readonly ref: string
  readonly basearch: string
  readonly edition?: "2014" | "2024"
  readonly releasever?: string
  readonly variables?: Readonly<Record<string, string | number | boolean>>
  readonly metadata?: Readonly<Record<string, JsonValue>>
  readonly "add-commit-metadata"?: Readonly<Record<string, JsonValue>>
  readonly "automatic-version-prefix"?: string
  readonly "automatic-version-suffix"?: string
  readonly "mutate-os-release"?: string
  readonly repos: readonly string[]
  readonly "lockfile-repos"?: readonly string[]
  readonly packages: readonly string[]
  readonly "repo-packages"?: ReadonlyArray<{ readonly repo: string; readonly packages: readonly string[] }>
  readonly "exclude-packages": readonly string[]
  readonly recommends: boolean
  readonly documentation: boolean
  readonly "install-langs"?: readonly string[]
  readonly postprocess: readonly string[]
  /** resolved against the declaring file's directory */
  readonly "postprocess-script"?: string
  /** [source resolved against the declaring file's directory, destination in the tree] */
  readonly "add-files": ReadonlyArray<readonly [string, string]>
  readonly "remove-files": readonly string[]
  /** [package, regex, regex…] */
  readonly "remove-from-packages": ReadonlyArray<readonly string[]>
  readonly units: readonly string[]
  readonly "default-target"?: string
  readonly "etc-group-members": readonly string[]
  readonly "preserve-passwd": boolean
  readonly "check-passwd"?: CheckSpec
  readonly "check-groups"?: CheckSpec
  readonly "ignore-removed-users"?: readonly string[]
  readonly "ignore-removed-groups"?: readonly string[]
  readonly "boot-location": "modules" | "kernel-install"
  readonly "initramfs-args"?: readonly string[]
  readonly "no-initramfs"?: boolean
  readonly "machineid-compat": boolean
  readonly "tmp-is-dir": boolean
  readonly "opt-usrlocal"?: "var" | "root"
  readonly selinux: boolean
  readonly container?: boolean
  readonly "container-cmd"?: readonly string[]
  readonly "readonly-executables": boolean
  readonly cliwrap?: boolean
  readonly rpmdb: "target" | "host"
  readonly "gpg-key"?: string
  readonly "repo-metadata"?: "inline" | "detached" | "disabled"
  readonly "advisories-metadata"?: "inline" | "detached" | "disabled"
  readonly "ostree-layers"?: readonly string[]
  readonly "ostree-override-layers"?: readonly string[]
}

/** rpm-ostree's defaults for the fields a compose reads. */
export const DEFAULTS = {
  repos: [],
  packages: [],
  "exclude-packages": [],
  recommends: true,
  documentation: true,
  postprocess: [],
  "add-files": [],
  "remove-files": [],
  "remove-from-packages": [],
  units: [],
  "etc-group-members": [],
  "preserve-passwd": true,
  "boot-location": "modules",
  "machineid-compat": true,
  "tmp-is-dir": false,
  selinux: true,
  "readonly-executables": false,
  rpmdb: "target",
} as const
