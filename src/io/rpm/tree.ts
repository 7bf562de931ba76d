/**
 * Writing files into a tree without ever leaving it: parents are resolved component by
 * component with lstat, a symlink parent is followed *inside* the tree (an absolute target
 * means the tree's root, as it will at run time) and a target that climbs above the root is
 * refused. Final names are created under a temporary name and renamed into place, so an
 * existing symlink at the final name is replaced, never followed.
 */
import { lstatSync, mkdirSync, readlinkSync, type Stats } from "node:fs"
import { join } from "node:path"
import { corrupt } from "../../formats/rpm/error.js"

const lstatMaybe = (p: string): Stats | undefined => {
  try {
    return lstatSync(p)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw e
  }
}

export class TreeWriter {
  private readonly dirs = new Map<string, string>()
  private tmpCounter = 0

  constructor(readonly root: string) {}

  /**
   * The real directory (absolute path) for the relative directory `rel` ("usr/bin"), creating
   * missing components with mode 0755, following in-tree symlinks; throws when `rel` leads out.
   */
  dir(rel: string, forPath: string): string {
    const hit = this.dirs.get(rel)
    if (hit !== undefined) return hit
    const parts = this.resolve(rel === "" ? [] : rel.split("/"), forPath, 0)
    const abs = parts.length ? join(this.root, ...parts) : this.root
    this.dirs.set(rel, abs)
    return abs
  }

  /** A fresh temporary name inside `dirAbs`, for create-then-rename. */
  tmpName(dirAbs: string): string {
    return join(dirAbs, `.strata-tmp-${process.pid}-${++this.tmpCounter}`)
  }

  private resolve(parts: ReadonlyArray<string>, forPath: string, depth: number): string[] {
    if (depth > 40) throw corrupt("unpack", `${forPath}: too many levels of symbolic links`)
    let out: string[] = []
    for (const comp of parts) {
      if (comp === "" || comp === ".") continue
      if (comp === "..") {
        if (out.length === 0) throw corrupt("unpack", `${forPath}: a symlink in its parents leads outside the tree`)
        out.pop()
        continue
      }
      const abs = join(this.root, ...out, comp)
      const st = lstatMaybe(abs)
      if (!st) {
        mkdirSync(abs, { mode: 0o755 })
        out.push(comp)
      } else if (st.isDirectory()) out.push(comp)
      else if (st.isSymbolicLink()) {
        const target = readlinkSync(abs)
        out = this.resolve([...(target.startsWith("/") ? [] : out), ...target.split("/")], forPath, depth + 1)
      } else throw corrupt("unpack", `${forPath}: parent ${[...out, comp].join("/")} exists and is not a directory`)
    }
    return out
  }
}

export { lstatMaybe }
