/**
 * `initramfs-etc`: the tracked /etc files as a newc cpio to put after the initramfs. The kernel
 * unpacks concatenated archives in order, so these files override the image's — the effect of
 * rpm-ostree's overlay initrd (ostree_sysroot_stage_overlay_initrd), carried inside the image.
 *
 * Paths must be absolute and under /etc, without `.`/`..` components; directories are taken
 * recursively; regular files, symlinks and directories only. Parent directories are emitted first
 * (mode 0755) so the unpacker can create the files.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs"
import { join } from "node:path"
import { newcArchive } from "../../formats/rpm/cpio.js"
import { InitramfsError } from "./error.js"

const bad = (detail: string): InitramfsError => new InitramfsError({ op: "initramfs-etc", reason: "Invalid", detail })

/** Checks a path given to `--track`: absolute, under /etc, normalised. Returns it without trailing '/'. */
export const checkEtcPath = (p: string): string => {
  const path = p.replace(/\/+$/, "")
  if (!path.startsWith("/etc/") || path.split("/").some((c, i) => i > 0 && (c === "" || c === "." || c === ".."))) {
    throw bad(`"${p}" is not a path under /etc (give an absolute path like /etc/crypttab)`)
  }
  return path
}

type Entry = Parameters<typeof newcArchive>[0][number]

/** The cpio of `paths` read from `etcRoot` (the directory that is /etc); fails naming a missing file. */
export const etcOverlay = (etcRoot: string, paths: ReadonlyArray<string>): Buffer => {
  const entries: Entry[] = []
  const seen = new Set<string>()
  let ino = 1
  const addDirChain = (rel: string): void => {
    const parts = rel.split("/")
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/")
      if (!seen.has(d)) seen.add(d), entries.push({ name: d, mode: 0o040755, ino: ino++, nlink: 2 })
    }
  }
  const add = (rel: string): void => {
    if (seen.has(rel)) return
    const host = join(etcRoot, rel.slice("etc/".length))
    let st
    try {
      st = lstatSync(host)
    } catch {
      throw bad(`/${rel} does not exist in the deployment's /etc`)
    }
    addDirChain(rel)
    seen.add(rel)
    const mode = st.mode & 0o7777
    if (st.isDirectory()) {
      entries.push({ name: rel, mode: 0o040000 | mode, ino: ino++, nlink: 2, mtime: 0 })
      for (const n of readdirSync(host).sort()) add(`${rel}/${n}`)
    } else if (st.isFile()) entries.push({ name: rel, mode: 0o100000 | mode, ino: ino++, data: readFileSync(host) })
    else if (st.isSymbolicLink()) entries.push({ name: rel, mode: 0o120777, ino: ino++, data: Buffer.from(readlinkSync(host)) })
    else throw bad(`/${rel} is not a regular file, symlink or directory`)
  }
  for (const p of [...paths].map(checkEtcPath).sort()) add(p.slice(1))
  return newcArchive(entries)
}
