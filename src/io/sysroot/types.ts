/**
 * The records the sysroot layer reads and writes. Plain, serialisable data (strings, numbers,
 * booleans), so a Deployment can be carried in an event as is.
 */
import type { BootVersion } from "./layout.js"

export interface Deployment {
  readonly stateroot: string
  /** The commit checked out. */
  readonly checksum: string
  /** deployserial: `ostree/deploy/$stateroot/deploy/$checksum.$serial`. */
  readonly serial: number
  readonly bootcsum: string
  /** Counter per bootcsum in list order; assigned when the bootloader side is written. */
  readonly bootserial: number
  /** Position in the boot order (0 = default); -1 for one not yet in a list. */
  readonly index: number
  /** The `.origin` key file text ("" when the deployment has none). */
  readonly origin: string
  /**
   * The BLS `options` as read (it may still hold the `ostree=` of the entry it came from; the
   * writer replaces that one in place, as ostree does). Use kargsWithoutOstree() to compare.
   */
  readonly kargs: string
  /** The commit's `version` metadata. */
  readonly version?: string
  readonly pinned: boolean
  /** BLS `title`, for deployments read from disk. */
  readonly title?: string
  /** Only for the staged deployment (read from the /run state file). */
  readonly staged?: boolean
}

export interface SysrootState {
  readonly sysroot: string
  readonly bootversion: BootVersion
  readonly subbootversion: BootVersion
  /** Boot order, the staged deployment (if any) first, as `ostree admin status` lists them. */
  readonly deployments: ReadonlyArray<Deployment>
  readonly repoPath: string
  readonly staged?: Deployment
  /** Index of the booted deployment, when this process runs inside one of them. */
  readonly bootedIndex?: number
}
