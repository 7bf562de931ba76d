/**
 * Pinning (`ostree admin pin [--unpin] INDEX`): a pinned deployment is never dropped by the
 * automatic "keep booted + one" policy. The flag lives in the origin's transient group, so it is
 * an origin rewrite and nothing else — no bootloader change.
 */
import { SysrootError } from "./error.js"
import { originWithPinned, writeOrigin, type WriteOriginReport } from "./origin.js"
import { readOrigin } from "./read-state.js"
import type { Deployment } from "./types.js"

export interface SetPinnedOptions {
  readonly sysroot: string
  readonly deployment: Pick<Deployment, "stateroot" | "checksum" | "serial"> & { readonly staged?: boolean }
  readonly pinned: boolean
}

export interface SetPinnedReport {
  /** False when the deployment already had the requested state (nothing written). */
  readonly changed: boolean
  /** Undo: writeOrigin({ origin: write.previous }). */
  readonly write?: WriteOriginReport
  readonly origin: string
}

/** Pins or unpins; reads the origin from disk, so a repeated call is a no-op. */
export const setPinned = async (opts: SetPinnedOptions): Promise<SetPinnedReport> => {
  if (opts.deployment.staged) {
    throw new SysrootError({ op: "pin", reason: "Invalid", code: "BadState", detail: "cannot pin the staged deployment" })
  }
  const current = await readOrigin(opts.sysroot, opts.deployment)
  if (current.pinned === opts.pinned) return { changed: false, origin: current.text }
  const origin = originWithPinned(current.text, opts.pinned)
  const write = await writeOrigin({ sysroot: opts.sysroot, deployment: opts.deployment, origin })
  return { changed: true, write, origin }
}
