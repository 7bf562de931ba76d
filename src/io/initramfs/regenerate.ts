/**
 * Client-side initramfs regeneration (rpm-ostree `src/libpriv/rpmostree-kernel.cxx`
 * rpmostree_run_dracut, `src/daemon/rpmostree-sysroot-upgrader.cxx` the "Generating initramfs"
 * step): the tree's own `/usr/bin/dracut`, run in bubblewrap with the tree as the root —
 * `/usr` and the `/lib*`, `/bin`, `/sbin` links read-only, `/etc` the deployment's /etc
 * (regeneration was asked for, so the machine's configuration counts, as rpm-ostree binds the
 * real /etc), fresh /tmp, /var, /run, /proc, /dev, no network — as
 *
 *   dracut [--reproducible] -v --add ostree --tmpdir=/tmp/dracut -f /tmp/out/initramfs.img
 *          BASEARGS... ARGS... --kver KVER
 *
 * BASEARGS are the base commit's `rpmostree.initramfs-args` (the compose-time arguments), else
 * `--no-hostonly` (rpm-ostree's fallback: a host-only image would leak this machine's state);
 * ARGS are the origin's `initramfs-args`. The image is written outside the tree, the tracked
 * `initramfs-etc` files appended as a cpio (etc-overlay.ts), then copied beside the kernel and
 * renamed over `usr/lib/modules/KVER/initramfs.img` — a new inode, so a checkout hardlinked to
 * repository objects is never written through.
 *
 * With `dracut: false` (only `initramfs-etc` is set), the existing image gets the overlay appended
 * the same way and dracut is not needed.
 */
import { spawn } from "node:child_process"
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InitramfsError } from "./error.js"
import { etcOverlay } from "./etc-overlay.js"

export const NO_DRACUT = "the deployment has no /usr/bin/dracut; regenerating the initramfs needs dracut in the base image"

export interface RegenerateInitramfsOptions {
  /** The tree being assembled (a writable checkout); its `usr/lib/modules/KVER` gets the image. */
  readonly root: string
  /** Default: the tree's only kernel (`usr/lib/modules/*` with a `vmlinuz`). */
  readonly kver?: string
  /** The origin's `initramfs-args`. */
  readonly args?: ReadonlyArray<string>
  /** The base commit's `rpmostree.initramfs-args`; undefined → `--no-hostonly`. */
  readonly baseArgs?: ReadonlyArray<string>
  /** The origin's `initramfs-etc`: /etc paths put into the image. */
  readonly etcFiles?: ReadonlyArray<string>
  /** The directory that is /etc inside dracut's sandbox and where etcFiles are read: the merge deployment's /etc. Default the tree's `usr/etc` (else `etc`). */
  readonly etcDir?: string
  /** Run dracut (the origin's `regenerate-initramfs`); default true. */
  readonly dracut?: boolean
  /** Default 600 s. */
  readonly timeoutMs?: number
}

export interface RegenerateInitramfsResult {
  readonly kver: string
  /** The image's path inside the tree. */
  readonly path: string
  /** What dracut printed ("" when it did not run). */
  readonly output: string
}

const OUTPUT_CAP = 256 * 1024

const fail = (detail: string, reason: "NotFound" | "Invalid" | "Unsupported" | "ScriptFailed" = "Invalid", output?: string): InitramfsError =>
  new InitramfsError({ op: "initramfs", reason, detail, ...(output !== undefined ? { output } : {}) })

const tail = (s: string): string => {
  const lines = s.replace(/\n$/, "").split("\n")
  return (lines.length > 20 ? ["…", ...lines.slice(-20)] : lines).map((l) => `  ${l}`).join("\n")
}

/** The kernel version: given, else the one `usr/lib/modules/*` that has a vmlinuz. */
export const treeKver = (root: string, kver?: string): string => {
  const modules = join(root, "usr/lib/modules")
  if (kver !== undefined) {
    if (kver.includes("/") || kver === "." || kver === ".." || !existsSync(join(modules, kver))) throw fail(`no kernel ${kver} in the tree (usr/lib/modules/${kver})`, "NotFound")
    return kver
  }
  let names: string[] = []
  try {
    names = readdirSync(modules).filter((n) => existsSync(join(modules, n, "vmlinuz")))
  } catch {
    names = []
  }
  if (names.length !== 1) throw fail(names.length === 0 ? "the tree has no kernel (usr/lib/modules/*/vmlinuz)" : `the tree has ${names.length} kernels (${names.sort().join(", ")}); name one`, "NotFound")
  return names[0]!
}

/** Whether the tree has an executable /usr/bin/dracut (a symlink inside the tree counts). */
export const hasDracut = (root: string): boolean => {
  let p = join(root, "usr/bin/dracut")
  for (let hops = 0; hops < 10; hops++) {
    let st
    try {
      st = lstatSync(p)
    } catch {
      return false
    }
    if (!st.isSymbolicLink()) return st.isFile() && (st.mode & 0o111) !== 0
    const t = readlinkSync(p)
    p = t.startsWith("/") ? join(root, t) : join(p, "..", t)
  }
  return false
}

/** The sandbox: the tree's top-level usr and compat links, nothing else of it. */
const bwrapArgs = (root: string, etcDir: string, work: string, out: string): string[] => {
  const a = ["--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
  for (const name of ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"]) {
    const p = join(root, name)
    let st
    try {
      st = lstatSync(p)
    } catch {
      continue
    }
    if (st.isSymbolicLink()) a.push("--symlink", readlinkSync(p), `/${name}`)
    else if (st.isDirectory()) a.push("--ro-bind", p, `/${name}`)
  }
  a.push(
    "--ro-bind", etcDir, "/etc",
    "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var", "--tmpfs", "/run",
    "--bind", work, "/tmp/dracut", "--bind", out, "/tmp/out",
    "--chdir", "/",
    "--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin",
    // no CAP_MKNOD in here: dracut must not try to create device nodes (as rpm-ostree sets it)
    "--setenv", "DRACUT_NO_MKNOD", "1",
  )
  if (process.env["DRACUT_NO_XATTR"]) a.push("--setenv", "DRACUT_NO_XATTR", process.env["DRACUT_NO_XATTR"])
  return a
}

// rpm-ostree's wrapper: --reproducible only when this dracut knows it
const WRAPPER = 'extra=; if (dracut --help; true) 2>/dev/null | grep -q -e --reproducible; then extra=--reproducible; fi\nexec dracut $extra -v --add ostree --tmpdir=/tmp/dracut -f /tmp/out/initramfs.img "$@"\n'

const runDracut = (bwrap: string[], argv: string[], timeoutMs: number): Promise<{ status: number | null; signal: NodeJS.Signals | null; output: string; timedOut: boolean }> =>
  new Promise((resolve, reject) => {
    const child = spawn("bwrap", [...bwrap, "--", "/bin/sh", "-c", WRAPPER, "dracut-wrapper", ...argv], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    let timedOut = false
    const add = (b: Buffer): void => {
      output += b.toString("utf8")
      if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP)
    }
    child.stdout.on("data", add)
    child.stderr.on("data", add)
    const timer = setTimeout(() => ((timedOut = true), child.kill("SIGKILL")), timeoutMs)
    child.on("error", (e) => (clearTimeout(timer), reject(e)))
    child.on("close", (status, signal) => (clearTimeout(timer), resolve({ status, signal, output, timedOut })))
  })

/** Writes `usr/lib/modules/KVER/initramfs.img` of `root`; see the module comment. Idempotent. */
export const regenerateInitramfs = async (o: RegenerateInitramfsOptions): Promise<RegenerateInitramfsResult> => {
  const { root } = o
  const useDracut = o.dracut ?? true
  if (useDracut && !hasDracut(root)) throw fail(NO_DRACUT, "Unsupported")
  const kver = treeKver(root, o.kver)
  const etcDir = o.etcDir ?? (existsSync(join(root, "usr/etc")) ? join(root, "usr/etc") : join(root, "etc"))
  if (!existsSync(etcDir) || !statSync(etcDir).isDirectory()) throw fail(`no /etc to use (${etcDir})`, "NotFound")
  const target = join(root, "usr/lib/modules", kver, "initramfs.img")
  // read before anything runs: a missing tracked file fails with the tree untouched
  const overlay = o.etcFiles?.length ? etcOverlay(etcDir, o.etcFiles) : undefined
  const tmp = mkdtempSync(join(tmpdir(), "strata-initramfs-"))
  try {
    let output = ""
    const image = join(tmp, "out", "initramfs.img")
    if (useDracut) {
      const work = join(tmp, "work")
      const out = join(tmp, "out")
      mkdirSync(work)
      mkdirSync(out)
      const argv = [...(o.baseArgs ?? ["--no-hostonly"]), ...(o.args ?? []), "--kver", kver]
      let r
      try {
        r = await runDracut(bwrapArgs(root, etcDir, work, out), argv, o.timeoutMs ?? 600_000)
      } catch (e) {
        throw fail(`could not start dracut in bubblewrap: ${(e as Error).message}`, "ScriptFailed")
      }
      output = r.output
      if (r.status !== 0 || !existsSync(image)) {
        const why = r.timedOut ? "timed out" : r.signal ? `killed by ${r.signal}` : r.status !== 0 ? `exit status ${r.status}` : "it wrote no image"
        throw fail(`dracut failed (${why})${output.trim() ? `; its output:\n${tail(output)}` : " with no output"}`, "ScriptFailed", output)
      }
    } else {
      if (!existsSync(target)) throw fail(`the tree has no initramfs for ${kver} to add the /etc files to`, "NotFound")
      mkdirSync(join(tmp, "out"))
      copyFileSync(target, image)
    }
    if (overlay) writeFileSync(image, Buffer.concat([readFileSync(image), overlay]))
    const staged = `${target}.strata-tmp`
    copyFileSync(image, staged)
    renameSync(staged, target)
    return { kver, path: target, output }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
