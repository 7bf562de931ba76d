/**
 * The bootloader state the deployments imply (FORMATS.md 6.3, 6.4): which `loader.$B` side
 * `boot/loader` points at, and one BLS entry per deployment in boot order with its `version`,
 * bootserial and `ostree=` argument. Titles and kernel paths depend on the commit's contents,
 * which the log does not hold; the entries carry what reconciliation compares with the disk.
 */
import type { EventEnvelope } from "../events/envelope.js"
import { deploymentsProjection, emptyDeployments, type DeploymentsState } from "./deployments.js"
import { applyEvents, type Projection } from "./fold.js"

export interface BootEntry {
  /** Deployment id (`$stateroot-$checksum.$serial`). */
  readonly deployment: string
  readonly stateroot: string
  /** BLS `version`: number of deployments − index. */
  readonly version: number
  readonly bootcsum?: string
  /** Counter per bootcsum, in list order. */
  readonly bootserial: number
  /** `/ostree/boot.$B/$stateroot/$bootcsum/$bootserial`, when the bootcsum is known. */
  readonly ostree?: string
  /** The `options` line: kargs plus `ostree=` (replaced in place if present, as ostree does). */
  readonly options: string
}

export interface BootloaderState {
  readonly bootversion: number
  readonly subbootversion: number
  /** `loader.$bootversion`: the target of the `boot/loader` symlink. */
  readonly loader: string
  readonly entries: ReadonlyArray<BootEntry>
}

/** Derives the bootloader view from a deployments state. */
export const bootloaderOf = (d: DeploymentsState): BootloaderState => {
  const serials = new Map<string, number>()
  const list = d.order.map((id) => d.byId[id]).filter((v) => v !== undefined)
  const entries = list.map((v, i): BootEntry => {
    const key = `${v.stateroot}/${v.bootcsum ?? ""}`
    const bootserial = serials.get(key) ?? 0
    serials.set(key, bootserial + 1)
    const ostree = v.bootcsum !== undefined ? `/ostree/boot.${d.bootversion}/${v.stateroot}/${v.bootcsum}/${bootserial}` : undefined
    const kargs = (v.kargs ?? "").split(" ").filter((k) => k !== "")
    const at = kargs.findIndex((k) => k.startsWith("ostree="))
    const options = ostree === undefined ? kargs.filter((k) => !k.startsWith("ostree=")) : at >= 0 ? kargs.map((k, j) => (j === at ? `ostree=${ostree}` : k)) : [...kargs, `ostree=${ostree}`]
    return {
      deployment: v.id,
      stateroot: v.stateroot,
      version: list.length - i,
      ...(v.bootcsum !== undefined ? { bootcsum: v.bootcsum } : {}),
      bootserial,
      ...(ostree !== undefined ? { ostree } : {}),
      options: options.join(" "),
    }
  })
  return { bootversion: d.bootversion, subbootversion: d.subbootversion, loader: `loader.${d.bootversion}`, entries }
}

interface Folded {
  readonly deployments: DeploymentsState
  readonly bootloader: BootloaderState
}

const initial: Folded = { deployments: emptyDeployments, bootloader: bootloaderOf(emptyDeployments) }

/** A fold of its own (for `combine`); the state carries the deployments it derives from. */
export const bootloaderProjection: Projection<Folded> = {
  initial,
  apply: (s: Folded, e: EventEnvelope): Folded => {
    const deployments = deploymentsProjection.apply(s.deployments, e)
    if (deployments === s.deployments) return s
    const changed = deployments.order !== s.deployments.order || deployments.byId !== s.deployments.byId || deployments.bootversion !== s.deployments.bootversion
    return { deployments, bootloader: changed ? bootloaderOf(deployments) : s.bootloader }
  },
  // Derived once per batch: bootloaderOf reads only order, byId and the versions, and a change of
  // the subbootversion always comes with a new order, so the last state decides.
  applyAll: (s: Folded, events: ReadonlyArray<EventEnvelope>): Folded => {
    const deployments = applyEvents(deploymentsProjection, s.deployments, events)
    if (deployments === s.deployments) return s
    const changed = deployments.order !== s.deployments.order || deployments.byId !== s.deployments.byId || deployments.bootversion !== s.deployments.bootversion
    return { deployments, bootloader: changed ? bootloaderOf(deployments) : s.bootloader }
  },
}
