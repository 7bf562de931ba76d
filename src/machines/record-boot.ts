/**
 * `strata admin record-boot` (meant for a boot-time unit): one `BootRecorded` event per boot in
 * the system stream, naming the booted deployment when it can be identified. Idempotent per boot
 * id, so a unit that runs twice records one boot. Takes the sysroot lock like a transaction: the
 * log is held open by a running transaction, and the boot is recorded once it ends.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs"
import { release } from "node:os"
import { join } from "node:path"
import { BootRecorded, SYSTEM_STREAM } from "../events/types/system.js"
import { lockSysroot } from "./runtime/lock.js"
import { openSysrootLog } from "./runtime/log.js"
import { TransactionError } from "./runtime/error.js"

export interface RecordBootOptions {
  readonly sysroot: string
  /** Default: /proc/sys/kernel/random/boot_id. */
  readonly bootId?: string
  /** `$checksum.$serial`; default: the deployment that is `/` when /run/ostree-booted exists. */
  readonly deployment?: string
  /** Default: the running kernel's release. */
  readonly kernel?: string
  readonly lockTimeoutMs?: number
  readonly onWait?: (message: string) => void
}

export interface RecordBootResult {
  /** False when this boot was already recorded. */
  readonly recorded: boolean
  readonly bootId: string
  readonly deployment?: string
  readonly kernel?: string
  readonly pos: number
}

const readBootId = (): string => {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()
  } catch (e) {
    throw new TransactionError({ op: "record-boot", reason: "NotFound", detail: `cannot read the boot id (${(e as Error).message}); pass --boot-id` })
  }
}

/** As ostree finds the booted deployment: the deployment directory that is the same inode as `/`. */
const bootedDeployment = (sysroot: string): string | undefined => {
  if (!existsSync("/run/ostree-booted")) return undefined
  const root = statSync("/")
  const deployRoot = join(sysroot, "ostree", "deploy")
  for (const stateroot of existsSync(deployRoot) ? readdirSync(deployRoot) : []) {
    const dir = join(deployRoot, stateroot, "deploy")
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      if (!/^[0-9a-f]+\.\d+$/.test(name)) continue
      const st = statSync(join(dir, name), { throwIfNoEntry: false })
      if (st && st.dev === root.dev && st.ino === root.ino) return name
    }
  }
  return undefined
}

export const recordBoot = async (o: RecordBootOptions): Promise<RecordBootResult> => {
  const bootId = o.bootId ?? readBootId()
  const deployment = o.deployment ?? bootedDeployment(o.sysroot)
  const kernel = o.kernel ?? release()
  const lock = await lockSysroot(o.sysroot, {
    op: "record-boot",
    holder: { kind: "record-boot", argv: process.argv.slice(1) },
    ...(o.lockTimeoutMs !== undefined ? { timeoutMs: o.lockTimeoutMs } : {}),
    ...(o.onWait ? { onWait: o.onWait } : {}),
  })
  try {
    const log = await openSysrootLog(o.sysroot)
    try {
      for await (const e of log.readStream(SYSTEM_STREAM)) {
        if (BootRecorded.is(e) && e.data.bootId === bootId) {
          return { recorded: false, bootId, ...(e.data.deployment !== undefined ? { deployment: e.data.deployment } : {}), ...(e.data.kernel !== undefined ? { kernel: e.data.kernel } : {}), pos: e.pos }
        }
      }
      const data = { bootId, ...(deployment !== undefined ? { deployment } : {}), kernel }
      const r = await log.append(SYSTEM_STREAM, "any", [BootRecorded.make(data)], { sync: true })
      return { recorded: true, ...data, pos: r.head.pos }
    } finally {
      await log.close()
    }
  } finally {
    await lock.release()
  }
}
