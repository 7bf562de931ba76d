/** Sysroot fixtures: OS trees with a kernel, temp sysroots that can be removed despite chattr +i. */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, lstatSync, readlinkSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { spawnSync } from "node:child_process"

/** Clears the immutable flag ostree and strata set on deployment roots, so rm -rf works. */
export const unsealDeployments = (root: string): void => {
  spawnSync("find", [root, "-maxdepth", "9", "-path", "*/ostree/deploy/*/deploy/*", "-type", "d", "-prune", "-exec", "chattr", "-i", "{}", "+"], { stdio: "ignore" })
}

/** A temp dir whose teardown also unmounts anything mounted below it and unseals deployments. */
export const sysrootTmp = (t: { teardown: (fn: () => void) => void }): string => {
  const dir = mkdtempSync(join(tmpdir(), "strata-sysroot-"))
  t.teardown(() => {
    const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(dir + "/"))
    for (const m of mounts.sort().reverse()) spawnSync("umount", [m], { stdio: "ignore" })
    unsealDeployments(dir)
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

export interface OsTreeOptions {
  readonly kernel?: string | null
  readonly initramfs?: string | null
  readonly kver?: string
  readonly prettyName?: string
  /** Files under usr/etc (relative path → content); a path ending in "/" makes a directory. */
  readonly etc?: Record<string, string>
  readonly varFiles?: Record<string, string>
}

/** A minimal OS tree: usr/lib/modules/$kver/{vmlinuz,initramfs.img}, os-release, usr/etc. */
export const makeOsTree = (root: string, o: OsTreeOptions = {}): void => {
  const kver = o.kver ?? "6.1.0"
  mkdirSync(join(root, "usr/lib/modules", kver), { recursive: true })
  mkdirSync(join(root, "usr/bin"), { recursive: true })
  writeFileSync(join(root, "usr/bin/sh"), "#!/bin/true\n")
  chmodSync(join(root, "usr/bin/sh"), 0o755)
  if (o.kernel !== null) writeFileSync(join(root, "usr/lib/modules", kver, "vmlinuz"), o.kernel ?? "kernel-6.1.0\n")
  if (o.initramfs !== null && o.kernel !== null) writeFileSync(join(root, "usr/lib/modules", kver, "initramfs.img"), o.initramfs ?? "initramfs-6.1.0\n")
  writeFileSync(join(root, "usr/lib/os-release"), `NAME="Test OS"\nID=testos\nPRETTY_NAME="${o.prettyName ?? "Test OS 42"}"\nVERSION_ID=42\n`)
  mkdirSync(join(root, "usr/etc"), { recursive: true })
  for (const [p, content] of Object.entries(o.etc ?? { "os.conf": "default=1\n" })) {
    const full = join(root, "usr/etc", p)
    if (p.endsWith("/")) mkdirSync(full, { recursive: true })
    else {
      mkdirSync(join(full, ".."), { recursive: true })
      writeFileSync(full, content)
    }
  }
  for (const [p, content] of Object.entries(o.varFiles ?? {})) {
    mkdirSync(join(root, "var", p, ".."), { recursive: true })
    writeFileSync(join(root, "var", p), content)
  }
}

/** Every path under `root` with its type and content (files), link target (links) — for "nothing changed". */
export const snapshot = (root: string, skip: (rel: string) => boolean = () => false): string[] => {
  const out: string[] = []
  const walk = (rel: string): void => {
    if (rel && skip(rel)) return
    const p = rel ? join(root, rel) : root
    const st = lstatSync(p)
    if (st.isDirectory()) {
      out.push(`d ${rel} ${st.mode.toString(8)}`)
      for (const n of readdirSync(p).sort()) walk(rel ? `${rel}/${n}` : n)
    } else if (st.isSymbolicLink()) out.push(`l ${rel} -> ${readlinkSync(p)}`)
    else out.push(`f ${rel} ${st.size} ${readFileSync(p).toString("base64").slice(0, 64)}`)
  }
  walk("")
  return out
}
