/**
 * `pull-local SRC [REF…]` (ot-builtin-pull-local.c → ostree_repo_pull_with_options on a
 * file:// source): copy commits, `depth` parents of each (default 0, -1 all), and every object
 * they reach from another local repo of any mode into this one, in one transaction. Each object
 * is verified against its name before it is written; content is re-stored in this repo's mode
 * (archive → bare inflates, bare → archive compresses). Refs move only at the commit point.
 *
 * Like ostree: without REFs every ref of the source is pulled; refs land in refs/heads (a
 * mirror), or in refs/remotes/REMOTE with `remote`; a checksum pulls that commit without a ref;
 * a commit already complete here is not re-scanned; while objects are copied the commit is
 * marked partial, so an interruption leaves it recognisably incomplete.
 */
import { mkdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import {
  isChecksum, isSymlink, parseCommit, parseDirmeta, parseDirtree, parseRefspec, type Checksum, type FileMeta, type ObjectType,
} from "../../formats/ostree/index.js"
import { clearCommitPartial, commitState, markCommitPartial } from "./commit-state.js"
import { readContentInfo } from "./content-meta.js"
import { readVerifiedPayload, verifiableSync, verifyContent, verifyContentSync } from "./content-verify.js"
import { RepoError } from "./error.js"
import { budget, type Budget } from "./limit.js"
import { hasObject, objectPath, readContentObject, readMetadataObject } from "./object-read.js"
import { listRefs } from "./refs.js"
import { openRepo, type Repo } from "./repo.js"
import { revParse } from "./rev.js"
import {
  beginTransaction, abortTransaction, commitTransaction, setRef, writeContentFrom, writeMetadata,
  type Transaction, type TransactionStats,
} from "./transaction.js"
import { emptyReachable, traverseCommit } from "./traverse.js"

export interface PullLocalOptions {
  /** Path of the source repository. */
  readonly src: string
  /** Refs (`ref`, `remote:ref`) or commit checksums; default every ref of the source. */
  readonly refs?: ReadonlyArray<string>
  /** Write refs under refs/remotes/REMOTE instead of refs/heads. */
  readonly remote?: string
  /** Parents to pull with each commit: 0 (default) none, -1 all. */
  readonly depth?: number
}

export interface PullLocalResult {
  readonly stats: TransactionStats
  /** The refs written, as `kind/ref` → commit. */
  readonly refs: ReadonlyArray<{ readonly kind: string; readonly ref: string; readonly commit: Checksum }>
}

interface Want {
  readonly commit: Checksum
  /** Where the ref goes here; absent when a bare checksum was asked for. */
  readonly kind?: string
  readonly ref?: string
}

/** Payloads up to this size are copied from memory after one verified read; larger ones stream. */
const WHOLE_MAX = 16 << 20

const resolveWants = async (src: Repo, opts: PullLocalOptions): Promise<Want[]> => {
  const names = opts.refs?.length ? opts.refs : (await listRefs(src, { heads: true, remotes: true })).map((r) => r.name)
  return Promise.all(names.map(async (name): Promise<Want> => {
    if (isChecksum(name)) return { commit: name }
    let spec
    try {
      spec = parseRefspec(name)
    } catch {
      throw new RepoError({ op: "pull-local", reason: "Invalid", detail: `"${name}" is not a ref or a checksum` })
    }
    const commit = await revParse(src, name)
    const kind = opts.remote ? `remotes/${opts.remote}` : spec.remote ? `remotes/${spec.remote}` : "heads"
    return { commit, kind, ref: spec.ref }
  }))
}

const PARSERS: Partial<Record<ObjectType, (b: Uint8Array) => unknown>> = { commit: parseCommit, dirtree: parseDirtree, dirmeta: parseDirmeta }

const copyMetadata = async (src: Repo, txn: Transaction, type: ObjectType, csum: Checksum): Promise<void> => {
  const bytes = await readMetadataObject(src, type, csum, true)
  try {
    PARSERS[type]?.(bytes)
  } catch (e) {
    throw new RepoError({ op: "pull-local", reason: "Corrupt", detail: `source object ${csum}.${type} is corrupted: ${(e as Error).message}` })
  }
  await writeMetadata(txn, type, bytes)
}

/** bare-user-only stores neither ownership nor xattrs nor modes beyond 0775: such objects cannot round-trip. */
const checkStorable = (dest: Repo, csum: Checksum, m: FileMeta): void => {
  if (dest.mode !== "bare-user-only") return
  const modeOk = isSymlink(m) || (m.mode & 0o7777 & ~0o775) === 0
  if (m.uid !== 0 || m.gid !== 0 || m.xattrs.length > 0 || !modeOk) {
    throw new RepoError({
      op: "pull-local", reason: "Unsupported",
      detail: `content object ${csum} (owner ${m.uid}:${m.gid}, mode ${(m.mode & 0o7777).toString(8)}, ${m.xattrs.length} xattrs) cannot be stored in a bare-user-only repository`,
    })
  }
}

const copyContent = async (src: Repo, txn: Transaction, limit: Budget, csum: Checksum): Promise<void> => {
  const info = readContentInfo(src, csum)
  checkStorable(txn.repo, csum, info.meta)
  // Writing into an archive repo holds a deflate state (~320 KB) per object in flight: count it.
  const weight = Math.min(info.size, WHOLE_MAX) + (txn.repo.mode === "archive" ? 320 << 10 : 0)
  await limit.run(weight, async () => {
    if (isSymlink(info.meta)) {
      verifyContentSync(src, csum, info)
      await writeContentFrom(txn, info.meta, { data: EMPTY }, csum)
    } else if (verifiableSync(src, info) && info.size <= WHOLE_MAX) {
      await writeContentFrom(txn, info.meta, { data: readVerifiedPayload(src, csum, info) }, csum) // one read, verified
    } else if (src.mode !== "archive") {
      await verifyContent(src, csum, info) // streamed, then copied by path
      await writeContentFrom(txn, info.meta, { path: objectPath(src, csum, "file"), size: info.size }, csum)
    } else {
      const obj = await readContentObject(src, csum, true) // a large archive payload, inflated whole
      await writeContentFrom(txn, obj.meta, { data: obj.data }, csum)
    }
  })
}

const EMPTY = new Uint8Array(0)

/** Copies the detached metadata (named by the commit, so not a hashed object) straight into objects/. */
const copyCommitmeta = async (src: Repo, dest: Repo, commit: Checksum): Promise<void> => {
  const bytes = await readFile(objectPath(src, commit, "commitmeta")).catch(() => undefined)
  if (!bytes) return
  const p = objectPath(dest, commit, "commitmeta")
  await mkdir(dirname(p), { recursive: true, mode: 0o775 })
  await writeFile(`${p}.tmp-${process.pid}`, bytes, { mode: 0o644 })
  await rename(`${p}.tmp-${process.pid}`, p)
}

/** The commits to fetch for one want: it and up to `depth` parents the source has. */
const commitChain = async (src: Repo, head: Checksum, depth: number): Promise<Checksum[]> => {
  const out: Checksum[] = []
  let c: Checksum | null = head
  while (c && (depth < 0 || out.length <= depth)) {
    if (out.length > 0 && !(await hasObject(src, c, "commit"))) break // shallow source
    out.push(c)
    c = (await readMetadataObject(src, "commit", c).then(parseCommit)).parent
  }
  return out
}

export const pullLocal = async (repo: Repo, opts: PullLocalOptions): Promise<PullLocalResult> => {
  const src = await openRepo(opts.src)
  if ((await realpath(src.path)) === (await realpath(repo.path))) {
    throw new RepoError({ op: "pull-local", reason: "Invalid", detail: "source and destination are the same repository" })
  }
  const wants = await resolveWants(src, opts)
  const depth = opts.depth ?? 0
  const commits = new Set<Checksum>()
  for (const w of wants) for (const c of await commitChain(src, w.commit, depth)) commits.add(c)
  // Commits already here and complete are not scanned again.
  const todo: Checksum[] = []
  for (const c of commits) {
    if ((await hasObject(repo, c, "commit")) && (await commitState(repo, c)) === "complete") continue
    if ((await commitState(src, c)) !== "complete") {
      throw new RepoError({ op: "pull-local", reason: "Unsupported", detail: `commit ${c} is partial in ${opts.src}; it cannot be copied whole` })
    }
    todo.push(c)
  }
  // Commits without a marker get one while their objects are copied; it goes again on failure.
  const marked: Checksum[] = []
  for (const c of todo) if ((await commitState(repo, c)) === "complete") marked.push(c)
  const txn = await beginTransaction(repo)
  try {
    for (const c of marked) await markCommitPartial(repo, c, "pull")
    const reach = emptyReachable()
    for (const c of todo) await traverseCommit(src, c, 0, reach)
    const limit = budget(16 << 20) // measured: a larger window only held more memory, no faster
    const keys = [...reach.objects]
    const meta = keys.filter((k) => !k.endsWith(".file") && !k.endsWith(".commit"))
    await Promise.all(keys.filter((k) => k.endsWith(".file")).map((k) => copyContent(src, txn, limit, k.slice(0, 64))))
    for (const k of meta) await copyMetadata(src, txn, k.slice(65) as ObjectType, k.slice(0, 64))
    // Commits last: staged objects are renamed in order, so a commit never lands before its tree.
    for (const c of todo) await copyMetadata(src, txn, "commit", c)
    for (const c of todo) await copyCommitmeta(src, repo, c)
    const refs: Array<{ kind: string; ref: string; commit: Checksum }> = []
    for (const w of wants) {
      if (w.ref === undefined || w.kind === undefined) continue
      setRef(txn, w.ref, w.commit, w.kind)
      refs.push({ kind: w.kind, ref: w.ref, commit: w.commit })
    }
    const stats = await commitTransaction(txn)
    for (const c of todo) {
      await clearCommitPartial(repo, c)
      await rm(objectPath(repo, c, "tombstone-commit"), { force: true }) // present again, on purpose
    }
    return { stats, refs }
  } catch (e) {
    await abortTransaction(txn)
    for (const c of marked) if (!(await hasObject(repo, c, "commit"))) await clearCommitPartial(repo, c)
    throw e
  }
}
