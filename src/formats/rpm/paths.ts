/**
 * Hostile-path checks for package file names: a name must be absolute and canonical — no "."
 * or ".." components, no empty components, no NUL — so that joining it under a root can never
 * leave that root lexically. (Escapes through symlinks are the unpacker's job: it resolves
 * parents inside the root.)
 */
import { corrupt } from "./error.js"

/** The path relative to the root ("usr/bin/x"), or throws for an unsafe name. "/" gives "". */
export const safeRelative = (path: string): string => {
  if (path === "/") return ""
  if (!path.startsWith("/")) throw corrupt("file name", `"${path}" is not absolute`)
  if (path.includes("\0")) throw corrupt("file name", `"${path.replace(/\0/g, "\\0")}" contains NUL`)
  const parts = path.slice(1).split("/")
  for (const p of parts) {
    if (p === "" || p === "." || p === "..") throw corrupt("file name", `"${path}" is not a canonical path (empty, "." or ".." component)`)
  }
  return parts.join("/")
}
