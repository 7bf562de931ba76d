/**
 * The transient overlay on the running /usr (what `ostree admin unlock --transient` makes):
 * `mount -t overlay -o lowerdir=USR,upperdir=DIR/upper,workdir=DIR/work overlay USR`. The lower
 * layer is the deployment's own /usr, which the overlay only reads: every change lands in the
 * upper dir, and the deployment directory on disk stays as it was committed. Between applies the
 * overlay is remounted read-only, so the rest of the system sees a read-only /usr as before.
 *
 * Node has no mount(2); the util-linux `mount`/`umount` binaries do it (as ostree's own tests do).
 */
import { spawnSync } from "node:child_process"
import { mkdir, readFile, rm } from "node:fs/promises"
import { join } from "node:path"
import { SysrootError } from "../sysroot/error.js"

const OP = "apply-live: overlay"

export interface MountInfo {
  readonly fstype: string
  readonly options: string
  readonly readOnly: boolean
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))

/** The topmost mount at exactly `path` in this process's mount namespace, if any. */
export const mountAt = async (path: string): Promise<MountInfo | undefined> => {
  const text = await readFile("/proc/self/mountinfo", "utf8")
  let found: MountInfo | undefined
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ")
    if (!left || !right) continue
    const f = left.split(" ")
    if (unescape(f[4] ?? "") !== path) continue
    const [fstype, , superOpts] = right.split(" ")
    found = { fstype: fstype ?? "", options: superOpts ?? "", readOnly: (f[5] ?? "").split(",").includes("ro") }
  }
  return found
}

/** Is `usr` our overlay, i.e. one whose upper dir is `dir/upper`? */
export const isOurOverlay = (m: MountInfo | undefined, dir: string): boolean =>
  m?.fstype === "overlay" && m.options.split(",").includes(`upperdir=${join(dir, "upper")}`)

const run = (cmd: string, args: ReadonlyArray<string>, what: string): void => {
  const r = spawnSync(cmd, args, { encoding: "utf8" })
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n")[0]
    throw new SysrootError({ op: OP, reason: /permission|not permitted/i.test(why ?? "") ? "PermissionDenied" : "Io", detail: `${what}: ${why}` })
  }
}

/** Mounts the overlay on `usr` unless ours is already there (idempotent). */
export const mountOverlay = async (usr: string, dir: string): Promise<void> => {
  const m = await mountAt(usr)
  if (isOurOverlay(m, dir)) return
  if (m?.fstype === "overlay") throw new SysrootError({ op: OP, reason: "Invalid", detail: `${usr} is already an overlay that strata did not make (ostree admin unlock?)` })
  // Not mounted: whatever an earlier overlay left in the upper dir must not reappear.
  await rm(dir, { recursive: true, force: true })
  await mkdir(join(dir, "upper"), { recursive: true, mode: 0o755 })
  await mkdir(join(dir, "work"), { recursive: true, mode: 0o700 })
  run("mount", ["-t", "overlay", "-o", `lowerdir=${usr},upperdir=${join(dir, "upper")},workdir=${join(dir, "work")}`, "overlay", usr], `mount an overlay on ${usr}`)
}

export const unmountOverlay = async (usr: string, dir: string): Promise<boolean> => {
  if (!isOurOverlay(await mountAt(usr), dir)) return false
  run("umount", [usr], `unmount the overlay on ${usr}`)
  return true
}

/** Makes the mount at `usr` writable (`rw`) or read-only again. */
export const remount = async (usr: string, mode: "rw" | "ro"): Promise<void> => {
  const m = await mountAt(usr)
  if (!m || m.readOnly === (mode === "ro")) return
  run("mount", ["-o", `remount,${mode}`, usr], `remount ${usr} ${mode}`)
}
