/**
 * `fsck` (ot-builtin-fsck.c, ostree-repo-fsck): check every ref, every commit object in the
 * repo, and every object reachable from each complete commit — metadata re-hashed and parsed
 * (dirtree names validated), content re-hashed in the repo's mode — and report each problem
 * once, naming the object, what is wrong, and the commits that contain it.
 *
 * Like ostree: commits marked partial by an interrupted pull are not traversed (their missing
 * objects are expected) and counted instead; a complete commit found missing objects is marked
 * partial with reason "fsck", so a later pull refetches them, and such a commit is an error on
 * later runs. `delete` removes corrupt objects (and marks their commits the same way).
 *
 * Speed: every metadata object is verified once however many commits share it; content objects
 * are verified after the walk, bare modes synchronously through one reused buffer, archive with
 * several inflates in flight on the threadpool.
 */
import { readFile, rm } from "node:fs/promises"
import { createHash } from "node:crypto"
import { join } from "node:path"
import { parse } from "../../formats/gvariant/index.js"
import {
  parseCommit, parseDirmeta, parseDirtree, type Checksum, type Commit, type Dirtree, type ObjectType,
} from "../../formats/ostree/index.js"
import { commitState, markCommitPartial } from "./commit-state.js"
import { verifyContents } from "./fsck-pool.js"
import { budget } from "./limit.js"
import { listObjects, objectKey } from "./object-list.js"
import { objectPath } from "./object-read.js"
import type { Repo } from "./repo.js"
import { flock } from "./syscalls.js"
import { collectRefs, type RefProblem } from "./fsck-refs.js"

export type ProblemKind = "missing" | "corrupt" | "ref" | "fsck-partial"

export interface FsckProblem {
  readonly kind: ProblemKind
  /** The object at fault (missing/corrupt), or the commit (fsck-partial). */
  readonly object?: { readonly csum: Checksum; readonly type: ObjectType }
  /** For "ref" problems: the ref as ostree names it (`ref`, `remote:ref`, `cid:ref`). */
  readonly ref?: string
  readonly detail: string
  /** Commits that contain the object, sorted. */
  readonly commits: ReadonlyArray<Checksum>
  readonly deleted?: boolean
}

export interface FsckReport {
  /** Commits whose trees were verified. */
  readonly commits: number
  /** Commits skipped because an interrupted pull left them partial. */
  readonly partialCommits: number
  readonly metadataChecked: number
  readonly contentChecked: number
  readonly problems: ReadonlyArray<FsckProblem>
  /** Commits this run marked partial (objects missing, or deleted by `delete`). */
  readonly markedPartial: ReadonlyArray<Checksum>
}

export interface FsckOptions {
  /** Remove corrupt objects (ostree fsck --delete). */
  readonly delete?: boolean
}

interface Ctx {
  readonly repo: Repo
  readonly opts: FsckOptions
  /** Metadata keys already checked; value false if the object was bad. */
  readonly checked: Map<string, boolean>
  /** Parsed dirtrees kept for attributing problems to commits. */
  readonly dirtrees: Map<Checksum, Dirtree>
  /** dirtree → the dirtrees (or `commit:<csum>`) that name it. */
  readonly treeParents: Map<Checksum, Set<string>>
  /** commit → its root dirmeta, for attributing dirmeta problems. */
  readonly rootMetas: Map<Checksum, Checksum>
  readonly content: Set<Checksum>
  readonly problems: Map<string, FsckProblem>
}

const READS = budget(64)

const addProblem = (ctx: Ctx, p: Omit<FsckProblem, "commits">): void => {
  const key = p.object ? objectKey(p.object.csum, p.object.type) : `ref:${p.ref}`
  if (!ctx.problems.has(key)) ctx.problems.set(key, { ...p, commits: [] })
}

/** Reads, re-hashes and parses one metadata object; records a problem and returns undefined if bad. */
const checkMetadata = async <T>(ctx: Ctx, type: ObjectType, csum: Checksum, parser: (b: Uint8Array) => T): Promise<T | undefined> => {
  let bytes: Buffer
  try {
    bytes = await READS.run(1, () => readFile(objectPath(ctx.repo, csum, type)))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    addProblem(ctx, { kind: code === "ENOENT" ? "missing" : "corrupt", object: { csum, type }, detail: code === "ENOENT" ? "missing" : `unreadable: ${code}` })
    return undefined
  }
  const actual = createHash("sha256").update(bytes).digest("hex")
  if (actual !== csum) {
    addProblem(ctx, { kind: "corrupt", object: { csum, type }, detail: `corrupted: checksum expected='${csum}' actual='${actual}'` })
    return undefined
  }
  try {
    return parser(bytes)
  } catch (e) {
    addProblem(ctx, { kind: "corrupt", object: { csum, type }, detail: `corrupted: ${(e as Error).message}` })
    return undefined
  }
}

const checkDirmeta = async (ctx: Ctx, csum: Checksum): Promise<void> => {
  const key = objectKey(csum, "dirmeta")
  if (ctx.checked.has(key)) return
  ctx.checked.set(key, true)
  if (!(await checkMetadata(ctx, "dirmeta", csum, parseDirmeta))) ctx.checked.set(key, false)
}

const walkDirtree = async (ctx: Ctx, csum: Checksum, parent: string): Promise<void> => {
  let parents = ctx.treeParents.get(csum)
  if (!parents) ctx.treeParents.set(csum, (parents = new Set()))
  parents.add(parent)
  const key = objectKey(csum, "dirtree")
  if (ctx.checked.has(key)) return
  ctx.checked.set(key, true)
  const dt = await checkMetadata(ctx, "dirtree", csum, parseDirtree)
  if (!dt) {
    ctx.checked.set(key, false)
    return
  }
  ctx.dirtrees.set(csum, dt)
  for (const f of dt.files) ctx.content.add(f.checksum)
  await Promise.all([
    ...dt.dirs.map((d) => checkDirmeta(ctx, d.meta)),
    ...dt.dirs.map((d) => walkDirtree(ctx, d.tree, csum)),
  ])
}

/** Checks a commit object (and its detached metadata, if any); returns it parsed if sound. */
const checkCommit = async (ctx: Ctx, csum: Checksum): Promise<Commit | undefined> => {
  const key = objectKey(csum, "commit")
  ctx.checked.set(key, true)
  const c = await checkMetadata(ctx, "commit", csum, parseCommit)
  if (!c) ctx.checked.set(key, false)
  const meta = await readFile(objectPath(ctx.repo, csum, "commitmeta")).catch(() => undefined)
  if (meta) {
    try {
      parse("a{sv}", meta)
    } catch (e) {
      addProblem(ctx, { kind: "corrupt", object: { csum, type: "commitmeta" }, detail: `corrupted: ${(e as Error).message}` })
    }
  }
  return c
}

/** Verifies the collected content objects (on worker threads when there are many). */
const checkContent = async (ctx: Ctx): Promise<void> => {
  for (const p of await verifyContents(ctx.repo, [...ctx.content].sort())) {
    addProblem(ctx, { kind: p.kind, detail: p.detail, object: { csum: p.csum, type: "file" } })
  }
}

/** The commits whose trees contain each problem object (computed only when there are problems). */
const attribute = (ctx: Ctx): void => {
  const wanted = new Set([...ctx.problems.values()].filter((p) => p.object).map((p) => objectKey(p.object!.csum, p.object!.type)))
  if (wanted.size === 0) return
  const holders = new Map<string, Set<Checksum>>() // object key → dirtrees naming it
  const hold = (key: string, tree: Checksum): void => {
    if (!wanted.has(key)) return
    let s = holders.get(key)
    if (!s) holders.set(key, (s = new Set()))
    s.add(tree)
  }
  for (const [tree, dt] of ctx.dirtrees) {
    for (const f of dt.files) hold(objectKey(f.checksum, "file"), tree)
    for (const d of dt.dirs) {
      hold(objectKey(d.meta, "dirmeta"), tree)
      hold(objectKey(d.tree, "dirtree"), tree)
    }
  }
  const commitsAbove = (start: Iterable<string>): Set<Checksum> => {
    const out = new Set<Checksum>()
    const seen = new Set<string>()
    const queue = [...start]
    while (queue.length) {
      const n = queue.pop()!
      if (seen.has(n)) continue
      seen.add(n)
      if (n.startsWith("commit:")) out.add(n.slice(7))
      else for (const p of ctx.treeParents.get(n) ?? []) queue.push(p)
    }
    return out
  }
  for (const [key, p] of ctx.problems) {
    if (!p.object) continue
    const { csum, type } = p.object
    let commits: Set<Checksum>
    if (type === "commit" || type === "commitmeta") commits = new Set([csum])
    else if (type === "dirtree") commits = commitsAbove(ctx.treeParents.get(csum) ?? [])
    else {
      commits = commitsAbove(holders.get(key) ?? [])
      if (type === "dirmeta") for (const [c, m] of ctx.rootMetas) if (m === csum) commits.add(c)
    }
    ctx.problems.set(key, { ...p, commits: [...commits].sort() })
  }
}

export const fsckRepo = async (repo: Repo, opts: FsckOptions = {}): Promise<FsckReport> => {
  // Shared, like a transaction: a concurrent prune (exclusive) must not delete objects mid-check.
  const lock = await flock(join(repo.path, ".lock"), { exclusive: false, op: "fsck" })
  try {
    return await run(repo, opts)
  } finally {
    await lock.release()
  }
}

const run = async (repo: Repo, opts: FsckOptions): Promise<FsckReport> => {
  const ctx: Ctx = {
    repo, opts, checked: new Map(), dirtrees: new Map(), treeParents: new Map(), rootMetas: new Map(),
    content: new Set(), problems: new Map(),
  }
  const refs = await collectRefs(repo)
  const commitSet = new Set((await listObjects(repo, ["commit"])).map((o) => o.csum))
  let complete = 0
  let partial = 0
  const fsckPartial: Checksum[] = []
  for (const csum of [...commitSet].sort()) {
    const c = await checkCommit(ctx, csum)
    const state = await commitState(repo, csum)
    if (state === "partial") {
      partial++
      continue
    }
    if (state === "fsck-partial") fsckPartial.push(csum)
    if (!c) continue
    complete++
    ctx.rootMetas.set(csum, c.rootMeta)
    await checkDirmeta(ctx, c.rootMeta)
    await walkDirtree(ctx, c.rootTree, `commit:${csum}`)
  }
  for (const r of refs) refProblem(ctx, r, commitSet)
  await checkContent(ctx)
  attribute(ctx)
  for (const c of fsckPartial) {
    ctx.problems.set(`partial:${c}`, {
      kind: "fsck-partial", object: { csum: c, type: "commit" }, commits: [c],
      detail: "marked partial by an earlier fsck (objects were missing or corrupt); pull it again to repair",
    })
  }
  const markedPartial = await repair(ctx, new Set(fsckPartial))
  const problems = [...ctx.problems.values()].sort(problemOrder)
  const metadataChecked = [...ctx.checked.keys()].length
  return { commits: complete, partialCommits: partial, metadataChecked, contentChecked: ctx.content.size, problems, markedPartial }
}

const refProblem = (ctx: Ctx, r: RefProblem | { name: string; csum: Checksum }, commits: Set<Checksum>): void => {
  if ("problem" in r) {
    addProblem(ctx, { kind: "ref", ref: r.name, detail: r.problem })
    return
  }
  if (!commits.has(r.csum)) addProblem(ctx, { kind: "ref", ref: r.name, detail: `commit ${r.csum} is missing` })
  else if (ctx.checked.get(objectKey(r.csum, "commit")) === false) addProblem(ctx, { kind: "ref", ref: r.name, detail: `commit ${r.csum} is corrupted` })
}

/** Deletes corrupt objects when asked, and marks the complete commits that lost objects partial. */
const repair = async (ctx: Ctx, alreadyMarked: Set<Checksum>): Promise<Checksum[]> => {
  const toMark = new Set<Checksum>()
  for (const [key, p] of ctx.problems) {
    if (!p.object || (p.kind !== "missing" && p.kind !== "corrupt")) continue
    let gone = p.kind === "missing"
    if (p.kind === "corrupt" && ctx.opts.delete) {
      await rm(objectPath(ctx.repo, p.object.csum, p.object.type), { force: true })
      ctx.problems.set(key, { ...p, deleted: true })
      gone = true
    }
    if (gone && p.object.type !== "commit" && p.object.type !== "commitmeta") for (const c of p.commits) toMark.add(c)
  }
  const marked = [...toMark].filter((c) => !alreadyMarked.has(c)).sort()
  for (const c of marked) await markCommitPartial(ctx.repo, c, "fsck")
  return marked
}

const KIND_ORDER: Record<ProblemKind, number> = { ref: 0, "fsck-partial": 1, corrupt: 2, missing: 2 }

const problemOrder = (a: FsckProblem, b: FsckProblem): number =>
  KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
  (a.ref ?? "").localeCompare(b.ref ?? "") ||
  (a.object && b.object ? (a.object.csum < b.object.csum ? -1 : a.object.csum > b.object.csum ? 1 : a.object.type.localeCompare(b.object.type)) : 0)
