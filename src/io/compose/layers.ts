/**
 * `ostree-layers` / `ostree-override-layers` (rpm-ostree treefile): commits already in the target
 * repository, checked out over the assembled packages before post-processing. A plain layer may
 * only add files (or repeat one identically); a conflict with a package's file is an error naming
 * both. An override layer replaces whatever is there. The refs are resolved when the compose is
 * planned, so the commits are part of the input hash and a re-run sees the same content.
 */
import { lstatSync, mkdirSync, readFileSync, readlinkSync, readdirSync, renameSync, rmSync, type Stats } from "node:fs"
import { join } from "node:path"
import { checkout } from "../repo/checkout.js"
import { openRepo } from "../repo/repo.js"
import { revParse } from "../repo/rev.js"
import { composeError } from "./error.js"

export interface OstreeLayer {
  readonly ref: string
  readonly commit: string
  readonly override: boolean
}

/** The treefile's layer refs resolved in `repo`, plain layers first (rpm-ostree's order). */
export const resolveLayers = async (repoPath: string, layers: ReadonlyArray<string>, overrides: ReadonlyArray<string>): Promise<OstreeLayer[]> => {
  const repo = await openRepo(repoPath)
  const out: OstreeLayer[] = []
  for (const [refs, override] of [[layers, false], [overrides, true]] as const) {
    for (const ref of refs) {
      let commit: string
      try {
        commit = await revParse(repo, ref)
      } catch {
        const field = override ? "ostree-override-layers" : "ostree-layers"
        throw composeError(`compose ${field}`, "NotFound", `${ref} is not a ref of the target repository (commit it there first)`, repoPath)
      }
      out.push({ ref, commit, override })
    }
  }
  return out
}

const identical = (a: string, sa: Stats, b: string, sb: Stats): boolean => {
  if (sa.mode !== sb.mode || sa.uid !== sb.uid || sa.gid !== sb.gid) return false
  if (sa.isSymbolicLink()) return readlinkSync(a) === readlinkSync(b)
  return sa.isFile() && sa.size === sb.size && readFileSync(a).equals(readFileSync(b))
}

/** Moves `from` (a layer's checkout) into `to` (the root), entry by entry; `rel` names paths in errors. */
const mergeInto = (from: string, to: string, rel: string, layer: OstreeLayer): void => {
  for (const name of readdirSync(from)) {
    const src = join(from, name)
    const dest = join(to, name)
    const path = `${rel}/${name}`
    const s = lstatSync(src)
    let d: Stats | undefined
    try {
      d = lstatSync(dest)
    } catch {
      d = undefined
    }
    if (d === undefined) {
      renameSync(src, dest)
    } else if (s.isDirectory() && d.isDirectory()) {
      mergeInto(src, dest, path, layer)
    } else if (layer.override) {
      rmSync(dest, { recursive: true, force: true })
      renameSync(src, dest)
    } else if (!identical(src, s, dest, d)) {
      throw composeError("compose ostree-layers", "AlreadyExists", `${layer.ref}: ${path} conflicts with a file from the packages (use ostree-override-layers to replace it)`)
    }
  }
}

/**
 * Checks each layer out (copies: the root is edited by post-processing, and must never share
 * inodes with repository objects) next to the root, then merges it in.
 */
export const applyOstreeLayers = async (o: { repo: string; root: string; scratch: string; layers: ReadonlyArray<OstreeLayer> }): Promise<void> => {
  if (o.layers.length === 0) return
  const repo = await openRepo(o.repo)
  for (const [i, layer] of o.layers.entries()) {
    const dir = join(o.scratch, `ostree-layer-${i}`)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(o.scratch, { recursive: true })
    await checkout(repo, { rev: layer.commit, destination: dir, forceCopy: true })
    mergeInto(dir, o.root, "", layer)
    rmSync(dir, { recursive: true, force: true })
  }
}
