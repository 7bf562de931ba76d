/**
 * Refs: `refs/heads/<ref>`, `refs/remotes/<remote>/<ref>`, `refs/mirrors/<cid>/<ref>`, each a
 * file of 64 hex + "\n" (ostree-repo-refs.c). Written atomically by temp + rename.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile, rmdir } from "node:fs/promises"
import { dirname, join } from "node:path"
import { isChecksum, parseRefspec, type Checksum } from "../../formats/ostree/index.js"
import { RepoError, fsError } from "./error.js"
import type { Repo } from "./repo.js"

/** `heads`, `remotes/<remote>` or `mirrors/<collection-id>`. */
export type RefKind = string

export const refKindFor = (remote: string | null): RefKind => (remote ? `remotes/${remote}` : "heads")

const refPath = (repo: Repo, kind: RefKind, ref: string): string => join(repo.path, "refs", kind, ref)

/** Writes (or with `csum = null` deletes) one ref right away. Transactions call this at their commit point. */
export const writeRefNow = async (repo: Repo, kind: RefKind, ref: string, csum: Checksum | null): Promise<void> => {
  const p = refPath(repo, kind, ref)
  try {
    if (csum === null) {
      await rm(p, { force: true })
      // Drop now-empty parent dirs of nested refs, as ostree does, but never refs/<kind> itself.
      let d = dirname(p)
      const stop = join(repo.path, "refs", kind)
      while (d.startsWith(stop + "/")) {
        try { await rmdir(d) } catch { break }
        d = dirname(d)
      }
      return
    }
    await mkdir(dirname(p), { recursive: true, mode: 0o775 })
    // The temp file lives in repo/tmp, not beside the ref: one left by a crash between the write
    // and the rename would otherwise be read by ostree as a ref (`ostree refs`, `ostree fsck` fail).
    const tmpDir = join(repo.path, "tmp")
    await mkdir(tmpDir, { recursive: true })
    const tmp = join(tmpDir, `ref-${process.pid}-${ref.replace(/\//g, "_")}`)
    await writeFile(tmp, `${csum}\n`, { mode: 0o644 })
    await rename(tmp, p)
  } catch (e) {
    throw fsError(`write ref ${ref}`, p, e)
  }
}

export const readRef = async (repo: Repo, kind: RefKind, ref: string): Promise<Checksum | undefined> => {
  let text: string
  try {
    text = await readFile(refPath(repo, kind, ref), "utf8")
  } catch {
    return undefined
  }
  const csum = text.trim()
  if (!isChecksum(csum)) {
    throw new RepoError({ op: "read ref", reason: "Corrupt", path: refPath(repo, kind, ref), detail: `ref ${ref} does not hold a checksum` })
  }
  return csum
}

export interface RefEntry {
  /** As ostree prints it: `ref` for heads, `remote:ref` for remotes, `(cid, ref)` mirrors as `cid:ref`. */
  readonly name: string
  readonly kind: RefKind
  readonly ref: string
  readonly checksum: Checksum
}

const walkRefs = async (dir: string, prefix: string, out: Array<[string, string]>): Promise<void> => {
  let ents
  try {
    ents = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of ents) {
    if (e.name.includes(".tmp-")) continue
    const rel = prefix ? `${prefix}/${e.name}` : e.name
    if (e.isDirectory()) await walkRefs(join(dir, e.name), rel, out)
    else out.push([rel, join(dir, e.name)])
  }
}

/** Every ref, sorted: local heads first, then remotes, then mirrors. */
export const listRefs = async (repo: Repo, opts: { remotes?: boolean; mirrors?: boolean; heads?: boolean } = {}): Promise<RefEntry[]> => {
  const out: RefEntry[] = []
  const { heads = true, remotes = true, mirrors = false } = opts
  const collect = async (kind: string, nameOf: (ref: string) => string): Promise<void> => {
    const found: Array<[string, string]> = []
    await walkRefs(join(repo.path, "refs", kind), "", found)
    for (const [ref] of found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const checksum = await readRef(repo, kind, ref)
      if (checksum) out.push({ name: nameOf(ref), kind, ref, checksum })
    }
  }
  if (heads) await collect("heads", (r) => r)
  for (const [flag, base] of [[remotes, "remotes"], [mirrors, "mirrors"]] as const) {
    if (!flag) continue
    const groups = await readdir(join(repo.path, "refs", base)).catch(() => [] as string[])
    for (const g of groups.sort()) await collect(`${base}/${g}`, (r) => `${g}:${r}`)
  }
  return out
}

/**
 * rev-parse: a full checksum, a unique checksum prefix, `[remote:]ref`, each optionally
 * followed by `^` (parent) any number of times.
 */
export const resolveRev = async (
  repo: Repo,
  rev: string,
  loadParent: (csum: Checksum) => Promise<Checksum | null>,
): Promise<Checksum> => {
  let base = rev
  let ups = 0
  while (base.endsWith("^")) {
    base = base.slice(0, -1)
    ups++
  }
  let csum = await resolveBase(repo, base)
  for (let i = 0; i < ups; i++) {
    const p = await loadParent(csum)
    if (!p) throw new RepoError({ op: "rev-parse", reason: "NotFound", detail: `${rev}: commit ${csum} has no parent` })
    csum = p
  }
  return csum
}

const resolveBase = async (repo: Repo, rev: string): Promise<Checksum> => {
  if (isChecksum(rev)) return rev
  if (/^[0-9a-f]{4,63}$/.test(rev)) {
    const hits = await readdir(join(repo.path, "objects", rev.slice(0, 2))).catch(() => [] as string[])
    const match = hits.filter((n) => n.endsWith(".commit") && (rev.slice(0, 2) + n).startsWith(rev))
    if (match.length === 1) return rev.slice(0, 2) + match[0]!.slice(0, 62)
    if (match.length > 1) throw new RepoError({ op: "rev-parse", reason: "Invalid", detail: `ambiguous checksum prefix "${rev}"` })
  }
  let spec
  try {
    spec = parseRefspec(rev)
  } catch {
    throw new RepoError({ op: "rev-parse", reason: "NotFound", detail: `"${rev}" is not a ref or a checksum` })
  }
  const kinds = spec.remote ? [`remotes/${spec.remote}`] : ["heads", ...(await remotesHolding(repo, spec.ref))]
  for (const kind of kinds) {
    const c = await readRef(repo, kind, spec.ref)
    if (c) return c
  }
  throw new RepoError({ op: "rev-parse", reason: "NotFound", detail: `ref "${rev}" not found` })
}

/** ostree also resolves a bare ref against remote refs when no local head matches. */
const remotesHolding = async (repo: Repo, _ref: string): Promise<string[]> =>
  (await readdir(join(repo.path, "refs", "remotes")).catch(() => [] as string[])).sort().map((r) => `remotes/${r}`)
