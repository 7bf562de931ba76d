/**
 * An in-memory directory tree being assembled for a commit (ostree's OstreeMutableTree): files
 * by content checksum, subdirectories either built here or still pointing at an existing dirtree
 * (from `--tree=ref=`), expanded only when something is written below them.
 */
import { canonicalDirtree, serializeDirtree, type Checksum } from "../../formats/ostree/index.js"
import { loadDirtree } from "./object-read.js"
import type { Repo } from "./repo.js"
import { writeMetadata, type Transaction } from "./transaction.js"

export interface MutableTree {
  metaChecksum: Checksum | undefined
  files: Map<string, Checksum>
  dirs: Map<string, MutableTree>
  /** The unexpanded dirtree this node still equals, if it came from a commit and is unmodified. */
  contents: Checksum | undefined
}

export const emptyTree = (): MutableTree => ({ metaChecksum: undefined, files: new Map(), dirs: new Map(), contents: undefined })

export const treeFromDirtree = (contents: Checksum, meta: Checksum): MutableTree => ({ ...emptyTree(), contents, metaChecksum: meta })

/** Loads an unexpanded node's entries so it can be modified. */
export const expand = async (repo: Repo, t: MutableTree): Promise<void> => {
  if (!t.contents) return
  const dt = await loadDirtree(repo, t.contents)
  for (const f of dt.files) if (!t.dirs.has(f.name) && !t.files.has(f.name)) t.files.set(f.name, f.checksum)
  for (const d of dt.dirs) if (!t.dirs.has(d.name) && !t.files.has(d.name)) t.dirs.set(d.name, treeFromDirtree(d.tree, d.meta))
  t.contents = undefined
}

/** Writes every modified dirtree bottom-up; returns the root's dirtree checksum. */
export const writeMutableTree = async (txn: Transaction, t: MutableTree): Promise<Checksum> => {
  if (t.contents) return t.contents
  const dirs = await Promise.all(
    [...t.dirs].map(async ([name, sub]) => {
      const tree = await writeMutableTree(txn, sub)
      if (!sub.metaChecksum) throw new Error(`directory ${name} has no metadata`)
      return { name, tree, meta: sub.metaChecksum }
    }),
  )
  const files = [...t.files].map(([name, checksum]) => ({ name, checksum }))
  const csum = await writeMetadata(txn, "dirtree", serializeDirtree(canonicalDirtree({ files, dirs })))
  t.contents = csum
  return csum
}
