/**
 * Pure decisions about deployment lists, so machines can compute the whole desired list (STYLE
 * pattern 11) the way ostree does: bootserials, whether a new bootversion is needed, the merge
 * deployment, and the "new default + booted/merge + pinned + other stateroots" list of
 * ostree_sysroot_simple_write_deployment.
 */
import { kargsWithoutOstree } from "./kargs.js"
import type { Deployment } from "./types.js"

export const sameDeployment = (a: Pick<Deployment, "stateroot" | "checksum" | "serial">, b: Pick<Deployment, "stateroot" | "checksum" | "serial">): boolean =>
  a.stateroot === b.stateroot && a.checksum === b.checksum && a.serial === b.serial

/** Sets `index` to the list position and `bootserial` to a per-bootcsum counter (assign_bootserials). */
export const assignBootserials = (list: ReadonlyArray<Deployment>): Deployment[] => {
  const seen = new Map<string, number>()
  return list.map((d, index) => {
    const n = seen.get(d.bootcsum) ?? 0
    seen.set(d.bootcsum, n + 1)
    return { ...d, index, bootserial: n }
  })
}

/** deployment_bootconfigs_equal, plus the stateroot (it is part of every path in the entry). */
export const bootconfigsEqual = (a: Deployment, b: Deployment): boolean =>
  a.bootcsum === b.bootcsum &&
  a.stateroot === b.stateroot &&
  kargsWithoutOstree(a.kargs) === kargsWithoutOstree(b.kargs) &&
  (a.version ?? null) === (b.version ?? null)

export type WritePlan = "noop" | "subbootversion" | "bootversion"

/**
 * What writing `next` over `current` takes: nothing (same list), only a new sub-bootversion
 * (same count and boot configs, e.g. a reorder of identical kernels), or a new bootversion.
 */
export const planWrite = (current: ReadonlyArray<Deployment>, next: ReadonlyArray<Deployment>): WritePlan => {
  const cur = current.filter((d) => !d.staged)
  if (cur.length !== next.length) return "bootversion"
  let noop = true
  for (let i = 0; i < next.length; i++) {
    if (!bootconfigsEqual(cur[i]!, next[i]!)) return "bootversion"
    if (!sameDeployment(cur[i]!, next[i]!) || cur[i]!.bootserial !== next[i]!.bootserial) noop = false
  }
  return noop ? "noop" : "subbootversion"
}

/** ostree_sysroot_get_merge_deployment: the booted one in the same stateroot, else the first of it. */
export const mergeDeploymentFor = (opts: {
  readonly deployments: ReadonlyArray<Deployment>
  readonly stateroot: string
  readonly bootedIndex?: number
}): Deployment | undefined => {
  const booted = opts.bootedIndex !== undefined ? opts.deployments[opts.bootedIndex] : undefined
  if (booted && booted.stateroot === opts.stateroot) return booted
  return opts.deployments.find((d) => !d.staged && d.stateroot === opts.stateroot && d !== booted)
}

export interface NewListOptions {
  readonly current: ReadonlyArray<Deployment>
  readonly added: Deployment
  readonly stateroot: string
  readonly merge?: Deployment
  readonly bootedIndex?: number
  /** --not-as-default: add after the booted/merge deployment instead of first. */
  readonly notAsDefault?: boolean
  readonly retain?: boolean
  readonly retainPending?: boolean
  readonly retainRollback?: boolean
}

/**
 * ostree_sysroot_simple_write_deployment's list: the new deployment first (or right after the
 * crossover point with notAsDefault), then every deployment that is booted, the merge one,
 * pinned, of another stateroot, or retained. Staged deployments are left out.
 */
export const simpleDeploymentList = (o: NewListOptions): Deployment[] => {
  const current = o.current.filter((d) => !d.staged)
  const booted = o.bootedIndex !== undefined ? o.current[o.bootedIndex] : undefined
  const retain = o.retain || (!booted && !o.merge && (o.retainPending || o.retainRollback))
  const out: Deployment[] = []
  let added = false
  if (!o.notAsDefault) {
    out.push(o.added)
    added = true
  }
  let beforeBooted = true
  let beforeMerge = true
  for (const d of current) {
    const isBooted = !!booted && sameDeployment(d, booted)
    const isMerge = !!o.merge && sameDeployment(d, o.merge)
    if (isBooted) beforeBooted = false
    if (isMerge) beforeMerge = false
    const passed = booted ? !beforeBooted : !beforeMerge
    if (retain || d.pinned || d.stateroot !== o.stateroot || (o.retainPending && !passed) || isBooted || isMerge || (o.retainRollback && passed)) {
      out.push(d)
    }
    if (!added && passed) {
      out.push(o.added)
      added = true
    }
  }
  if (!added) out.push(o.added)
  return out
}
