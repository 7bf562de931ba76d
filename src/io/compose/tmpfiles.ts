/**
 * /var is not shipped as content (FORMATS.md 7.2): its directories and symlinks become
 * systemd-tmpfiles lines in usr/lib/tmpfiles.d/rpm-ostree-1-autovar.conf (rpm-ostree's
 * non-unified compose file), `d /var/x 0755 user group - -` and `L /var/y - - - - target`, with
 * /var/run/… written as /run/…. Regular files under /var are dropped (rpm-ostree does the same:
 * nothing in /var survives a deployment's first boot anyway).
 */
import { lstatSync, mkdirSync, readdirSync, readlinkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export const AUTOVAR_CONF = "usr/lib/tmpfiles.d/rpm-ostree-1-autovar.conf"

/** Shell-quotes a path when it needs it, as rpm-ostree's tmpfiles lines do. */
export const quotePath = (p: string): string => (/^[A-Za-z0-9_\-./+@:=,%]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`)

const idNames = (root: string, file: string): Map<number, string> => {
  const m = new Map<number, string>()
  for (const dir of ["usr/lib", "etc", "usr/etc"]) {
    let text = ""
    try {
      text = readFileSync(join(root, dir, file), "utf8")
    } catch {
      continue
    }
    for (const line of text.split("\n")) {
      const f = line.split(":")
      if (f.length >= 3 && /^\d+$/.test(f[2]!) && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]!)
    }
  }
  return m
}

/** Converts var/ into tmpfiles lines (written to AUTOVAR_CONF) and empties it; returns the lines. */
export const convertVarToTmpfiles = (root: string): string[] => {
  const users = idNames(root, "passwd")
  const groups = idNames(root, "group")
  const lines = new Set<string>()
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = `${rel}/${name}`
      const st = lstatSync(join(root, r))
      const path = `/${r}`.replace(/^\/var\/run(\/|$)/, "/run$1")
      // /var/run itself (usually a symlink to ../run) is /run: systemd makes it, not us
      if (path === "/run") continue
      if (st.isDirectory()) {
        const mode = (st.mode & 0o7777).toString(8).padStart(4, "0")
        lines.add(`d ${quotePath(path)} ${mode} ${users.get(st.uid) ?? st.uid} ${groups.get(st.gid) ?? st.gid} - -`)
        walk(r)
      } else if (st.isSymbolicLink()) {
        lines.add(`L ${quotePath(path)} - - - - ${readlinkSync(join(root, r))}`)
      }
    }
  }
  const varDir = join(root, "var")
  try {
    if (!lstatSync(varDir).isDirectory()) return []
  } catch {
    return []
  }
  walk("var")
  const sorted = [...lines].sort()
  if (sorted.length) {
    mkdirSync(join(root, "usr/lib/tmpfiles.d"), { recursive: true })
    // a new inode: a file a package shipped at that name is a hardlink into the import cache
    writeFileSync(join(root, `${AUTOVAR_CONF}.strata-tmp`), sorted.map((l) => `${l}\n`).join(""))
    renameSync(join(root, `${AUTOVAR_CONF}.strata-tmp`), join(root, AUTOVAR_CONF))
  }
  for (const n of readdirSync(varDir)) rmSync(join(varDir, n), { recursive: true, force: true })
  return sorted
}
