/** Builds a tree exercising every kind of entry ostree stores, and compares trees exactly. */
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { listAttributesSync, getAttributeSync, setAttributeSync } from "@napi-rs/xattr"

export interface TreeOptions {
  /** Include setuid and non-root ownership (only bare repos keep them). */
  readonly ownership?: boolean
  readonly xattrs?: boolean
}

export const makeTree = (root: string, opts: TreeOptions = {}): void => {
  mkdirSync(join(root, "usr/bin"), { recursive: true })
  mkdirSync(join(root, "usr/share/empty"), { recursive: true })
  mkdirSync(join(root, "etc"), { recursive: true })
  writeFileSync(join(root, "usr/bin/tool"), "#!/bin/sh\necho tool\n")
  chmodSync(join(root, "usr/bin/tool"), 0o755)
  writeFileSync(join(root, "etc/config"), "key=value\n")
  writeFileSync(join(root, "etc/secret"), "s3cret\n")
  chmodSync(join(root, "etc/secret"), 0o600)
  writeFileSync(join(root, "usr/share/big"), Buffer.alloc(200_000, 0x61))
  writeFileSync(join(root, "usr/share/empty-file"), "")
  writeFileSync(join(root, "usr/share/dup1"), "same\n")
  writeFileSync(join(root, "usr/share/dup2"), "same\n")
  linkSync(join(root, "usr/bin/tool"), join(root, "usr/bin/tool-hardlink"))
  symlinkSync("tool", join(root, "usr/bin/tool-link"))
  symlinkSync("/nonexistent/target", join(root, "usr/share/dangling"))
  writeFileSync(join(root, "usr/share/ünïcødé name"), "utf8\n")
  if (opts.ownership) {
    writeFileSync(join(root, "usr/bin/suid"), "suid\n")
    chmodSync(join(root, "usr/bin/suid"), 0o4755)
    writeFileSync(join(root, "etc/owned"), "owned\n")
    chownSync(join(root, "etc/owned"), 1000, 1001)
    mkdirSync(join(root, "home"), { mode: 0o700 })
    chownSync(join(root, "home"), 1000, 1000)
  }
  if (opts.xattrs) {
    setAttributeSync(join(root, "etc/config"), "user.b", "2")
    setAttributeSync(join(root, "etc/config"), "user.a", "1")
    setAttributeSync(join(root, "usr/share"), "user.dir", "yes")
  }
}

export interface Entry {
  readonly path: string
  readonly type: "d" | "f" | "l"
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly content?: string
  readonly xattrs: string
}

/** Every entry with what ostree preserves (type, permission bits, owner, content, xattrs). */
export const describeTree = (root: string, opts: { owners?: boolean; xattrs?: boolean } = {}): Entry[] => {
  const out: Entry[] = []
  const walk = (rel: string): void => {
    const p = join(root, rel)
    const st = lstatSync(p)
    const type = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : "f"
    let xattrs = ""
    if (opts.xattrs && type !== "l") {
      xattrs = listAttributesSync(p).filter((n) => n.startsWith("user.")).sort()
        .map((n) => `${n}=${getAttributeSync(p, n)?.toString()}`).join(",")
    }
    out.push({
      path: rel || "/",
      type,
      mode: type === "l" ? 0 : st.mode & 0o7777,
      uid: opts.owners === false ? 0 : st.uid,
      gid: opts.owners === false ? 0 : st.gid,
      content: type === "f" ? readFileSync(p).toString("base64") : type === "l" ? readlinkSync(p) : undefined,
      xattrs,
    })
    if (type === "d") for (const n of readdirSync(p).sort()) walk(rel ? `${rel}/${n}` : n)
  }
  walk("")
  return out
}
