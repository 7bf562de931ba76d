/**
 * Repository write transactions, shaped like ostree's (ostree-repo-commit.c prepare/commit/abort):
 * objects are written into `tmp/staging-<boot_id>-<pid>-<rand>/`, refs are buffered; `commit`
 * runs syncfs → renames every staged object into `objects/` → syncfs → writes the refs (the
 * commit point) → syncfs. An aborted or crashed transaction leaves only its staging dir, which
 * the next transaction on this boot removes once its owner is dead.
 */
import { randomBytes, createHash } from "node:crypto"
import { mkdir, readdir, readFile, rm, writeFile, open } from "node:fs/promises"
import { readdirSync, rmSync, createReadStream, createWriteStream, mkdirSync, renameSync } from "node:fs"
import { pipeline } from "node:stream/promises"
import { deflateRaw, createDeflateRaw } from "node:zlib"
import { promisify } from "node:util"
import { join } from "node:path"
import {
  loosePath, fileHeaderBytes, filezHeaderBytes, isSymlink, validateRef,
  type Checksum, type FileMeta, type ObjectType,
} from "../../formats/ostree/index.js"
import { RepoError, fsError } from "./error.js"
import { isArchive, type Repo } from "./repo.js"
import { storeContentSync, type ContentSource } from "./object-write.js"
import { openVerifiedCache } from "./verified-cache.js"
export type { ContentSource } from "./object-write.js"
import { flock, syncfs, type FileLock } from "./syscalls.js"
import { writeRefNow, type RefKind } from "./refs.js"

const deflateRawAsync = promisify(deflateRaw)

let bootIdCache: string | undefined
const bootId = async (): Promise<string> =>
  (bootIdCache ??= (await readFile("/proc/sys/kernel/random/boot_id", "utf8").catch(() => "noboot")).trim().replace(/-/g, ""))

export interface TransactionStats {
  metadataWritten: number
  contentWritten: number
  contentBytesWritten: number
  objectsSkipped: number
}

export interface Transaction {
  readonly repo: Repo
  readonly staging: string
  /** Staged objects by loose path relative to objects/ (`XX/REST.ext`). */
  readonly staged: Set<string>
  /** Writes under way, so two files with the same content never race to stage one object. */
  readonly inflight: Map<string, Promise<void>>
  readonly refs: Map<string, { kind: RefKind; ref: string; csum: Checksum | null }>
  readonly stats: TransactionStats
  readonly lock: FileLock
  state: "open" | "committed" | "aborted"
}

/** Removes staging dirs from other boots, and this boot's whose owning process is dead. */
const cleanStaleStaging = async (repo: Repo, boot: string): Promise<void> => {
  const tmpDir = join(repo.path, "tmp")
  const names = await readdir(tmpDir).catch(() => [] as string[])
  await Promise.all(
    names
      .filter((n) => n.startsWith("staging-"))
      .filter((n) => {
        const [, b, pid] = n.split("-")
        if (b !== boot) return true
        try {
          process.kill(Number(pid), 0)
          return false
        } catch (e) {
          return (e as NodeJS.ErrnoException).code === "ESRCH"
        }
      })
      .map((n) => rm(join(tmpDir, n), { recursive: true, force: true })),
  )
}

/** Starts a transaction: shared repo lock (prune takes it exclusive), fresh staging dir. */
export const beginTransaction = async (repo: Repo): Promise<Transaction> => {
  const lock = await flock(join(repo.path, ".lock"), { exclusive: false, op: "begin transaction" })
  try {
    const boot = await bootId()
    await cleanStaleStaging(repo, boot)
    const staging = join(repo.path, "tmp", `staging-${boot}-${process.pid}-${randomBytes(4).toString("hex")}`)
    await mkdir(staging, { recursive: true })
    return {
      repo, staging, staged: new Set(), inflight: new Map(), refs: new Map(), lock, state: "open",
      stats: { metadataWritten: 0, contentWritten: 0, contentBytesWritten: 0, objectsSkipped: 0 },
    }
  } catch (e) {
    await lock.release()
    throw fsError("begin transaction", repo.path, e)
  }
}

const relPath = (csum: Checksum, type: ObjectType, archive: boolean): string => loosePath(csum, type, archive).slice(8)

/**
 * Objects already in `objects/XX/`, read with one readdir per prefix on first use instead of one
 * failing stat per new object (a failing stat costs a thrown error in Node).
 */
const existingByPrefix = new WeakMap<Transaction, Map<string, Set<string>>>()
const existingIn = (txn: Transaction, prefix: string): Set<string> => {
  let m = existingByPrefix.get(txn)
  if (!m) existingByPrefix.set(txn, (m = new Map()))
  let set = m.get(prefix)
  if (!set) {
    try {
      set = new Set(readdirSync(`${txn.repo.path}/objects/${prefix}`))
    } catch {
      set = new Set()
    }
    m.set(prefix, set)
  }
  return set
}

/** Present in objects/ already, or staged by this transaction. */
const alreadyHave = (txn: Transaction, rel: string): boolean =>
  txn.staged.has(rel) || existingIn(txn, rel.slice(0, 2)).has(rel.slice(3))

const stagedDirs = new WeakMap<Transaction, Set<string>>()
const ensureStagingDir = (txn: Transaction, rel: string): string => {
  let dirs = stagedDirs.get(txn)
  if (!dirs) stagedDirs.set(txn, (dirs = new Set()))
  const prefix = rel.slice(0, 2)
  if (!dirs.has(prefix)) {
    // objects/XX's mode: a staged prefix directory may become it (see publishStaged).
    mkdirSync(join(txn.staging, prefix), { recursive: true, mode: 0o775 })
    dirs.add(prefix)
  }
  return `${txn.staging}/${rel}`
}

const assertOpen = (txn: Transaction, op: string): void => {
  if (txn.state !== "open") throw new RepoError({ op, reason: "Invalid", detail: `transaction is already ${txn.state}` })
}

/**
 * Stages one object unless it is already in the repo, staged, or being staged by a concurrent
 * write in this transaction; `store` writes it at the staging path it is given.
 */
const stageObject = async (
  txn: Transaction,
  rel: string,
  op: string,
  store: (dest: string) => Promise<void>,
): Promise<boolean> => {
  const pending = txn.inflight.get(rel)
  if (pending) {
    await pending
    txn.stats.objectsSkipped++
    return false
  }
  let done!: () => void
  let failed!: (e: unknown) => void
  const p = new Promise<void>((res, rej) => { done = res; failed = rej })
  p.catch(() => undefined)
  txn.inflight.set(rel, p)
  try {
    if (alreadyHave(txn, rel)) {
      txn.stats.objectsSkipped++
      done()
      return false
    }
    const dest = ensureStagingDir(txn, rel)
    try {
      await store(dest)
    } catch (e) {
      await rm(dest, { force: true })
      // A tagged error (say, a pull's "corrupted object") is the store's verdict, not an fs failure.
      throw typeof (e as { _tag?: unknown })?._tag === "string" ? e : fsError(op, dest, e)
    }
    txn.staged.add(rel)
    done()
    return true
  } catch (e) {
    failed(e)
    throw e
  } finally {
    txn.inflight.delete(rel)
  }
}

/** Writes a metadata object (dirtree, dirmeta, commit, …); its name is the SHA-256 of its bytes. */
export const writeMetadata = async (txn: Transaction, type: ObjectType, bytes: Uint8Array): Promise<Checksum> => {
  assertOpen(txn, `write ${type}`)
  const csum = createHash("sha256").update(bytes).digest("hex")
  if (await stageObject(txn, relPath(csum, type, false), `write ${type}`, (dest) => writeFile(dest, bytes, { mode: 0o644 }))) {
    txn.stats.metadataWritten++
  }
  return csum
}

/** The checksum a content object will have. */
export const checksumContent = (meta: FileMeta, data: Uint8Array): Checksum => {
  const h = createHash("sha256").update(fileHeaderBytes(meta))
  if (!isSymlink(meta)) h.update(data)
  return h.digest("hex")
}


/**
 * Writes a content object, storing it as the repo mode requires. `known` is the checksum when
 * the caller already hashed it (a streamed large file). Skips objects already present.
 */
export const writeContent = async (txn: Transaction, meta: FileMeta, data: Uint8Array, known?: Checksum): Promise<Checksum> =>
  writeContentFrom(txn, meta, { data }, known ?? checksumContent(meta, data))

export const writeContentFrom = async (txn: Transaction, meta: FileMeta, src: ContentSource, csum: Checksum): Promise<Checksum> => {
  assertOpen(txn, "write file")
  const rel = relPath(csum, "file", isArchive(txn.repo))
  if (await stageObject(txn, rel, "write file", (dest) => storeContent(txn.repo, dest, meta, src))) {
    txn.stats.contentWritten++
    txn.stats.contentBytesWritten += "data" in src ? src.data.length : src.size
  }
  return csum
}

/**
 * Stages content object `csum` with a caller's `store`, which writes it at `dest` (a worker that
 * verifies it first) and returns its size; skipped, like every write, when the object is here.
 */
export const stageContentWith = async (txn: Transaction, csum: Checksum, store: (dest: string) => Promise<number>): Promise<boolean> => {
  assertOpen(txn, "write file")
  let bytes = 0
  const written = await stageObject(txn, relPath(csum, "file", isArchive(txn.repo)), "write file", async (dest) => void (bytes = await store(dest)))
  if (written) {
    txn.stats.contentWritten++
    txn.stats.contentBytesWritten += bytes
  }
  return written
}

/**
 * The synchronous write path for non-archive repos (commit's hot loop): check, stage and record
 * in one uninterrupted step, so a caller may pass a reused buffer.
 */
export const writeContentSync = (txn: Transaction, meta: FileMeta, data: Uint8Array, csum: Checksum): Checksum => {
  assertOpen(txn, "write file")
  if (isArchive(txn.repo)) throw new RepoError({ op: "write file", reason: "Invalid", detail: "archive repos compress asynchronously" })
  const rel = relPath(csum, "file", false)
  if (alreadyHave(txn, rel) || txn.inflight.has(rel)) {
    txn.stats.objectsSkipped++
    return csum
  }
  const dest = ensureStagingDir(txn, rel)
  try {
    storeContentSync(txn.repo.mode, dest, meta, { data })
  } catch (e) {
    rmSync(dest, { force: true })
    throw fsError("write file", dest, e)
  }
  txn.staged.add(rel)
  txn.stats.contentWritten++
  txn.stats.contentBytesWritten += data.length
  return csum
}

const storeContent = async (repo: Repo, dest: string, meta: FileMeta, src: ContentSource): Promise<void> => {
  if (repo.mode !== "archive" || isSymlink(meta)) return void storeContentSync(repo.mode, dest, meta, src)
  // Archive payloads compress on the threadpool, so concurrent writes use both cores.
  if ("data" in src) {
    const body = await deflateRawAsync(src.data, { level: 6 })
    return writeBytes(dest, [filezHeaderBytes(meta, BigInt(src.data.length)), body])
  }
  await writeBytes(dest, [filezHeaderBytes(meta, BigInt(src.size))])
  await pipeline(createReadStream(src.path), createDeflateRaw({ level: 6 }), createWriteStream(dest, { flags: "a" }))
}

const writeBytes = async (dest: string, chunks: ReadonlyArray<Uint8Array>): Promise<void> => {
  const h = await open(dest, "w", 0o644)
  try {
    await h.writev(chunks as Uint8Array[])
  } finally {
    await h.close()
  }
}

/** Records an object that an importer (in-process or a worker) staged directly. */
export const recordStaged = (txn: Transaction, r: { rel: string; written: boolean; bytes: number }): void => {
  assertOpen(txn, "write file")
  if (r.written) {
    txn.staged.add(r.rel)
    txn.stats.contentWritten++
    txn.stats.contentBytesWritten += r.bytes
  } else txn.stats.objectsSkipped++ // already in objects/, or staged by another worker that reports it
}

/** Buffers a ref update; it is written at commit, after every object is durable. */
export const setRef = (txn: Transaction, ref: string, csum: Checksum | null, kind: RefKind = "heads"): void => {
  assertOpen(txn, "set ref")
  validateRef(ref)
  txn.refs.set(`${kind}/${ref}`, { kind, ref, csum })
}

/**
 * Moves every staged object into `objects/`. Objects were checked absent when staged; a
 * concurrent writer can only have put identical bytes there since, so a plain rename (one
 * syscall, no unlink of the staged name) is safe. A staged `XX/` holding exactly this
 * transaction's objects is renamed whole when `objects/XX` is missing or empty (a first pull or
 * commit: one rename instead of one per object); rename(2) refuses a non-empty target, and then,
 * as for any other prefix, objects move one by one.
 */
const publishStaged = (txn: Transaction): void => {
  const objects = `${txn.repo.path}/objects`
  const byPrefix = new Map<string, string[]>()
  for (const rel of txn.staged) {
    const prefix = rel.slice(0, 2)
    const list = byPrefix.get(prefix)
    if (list) list.push(rel)
    else byPrefix.set(prefix, [rel])
  }
  for (const [prefix, rels] of byPrefix) {
    if (moveWholeDir(`${txn.staging}/${prefix}`, `${objects}/${prefix}`, rels.length)) continue
    mkdirSync(`${objects}/${prefix}`, { recursive: true, mode: 0o775 })
    for (const rel of rels) renameSync(`${txn.staging}/${rel}`, `${objects}/${rel}`)
  }
}

/** Renames `src` over `dst` if `src` holds exactly `count` entries (nothing this transaction did not stage) and `dst` is absent or empty. */
const moveWholeDir = (src: string, dst: string, count: number): boolean => {
  if (readdirSync(src).length !== count) return false
  try {
    renameSync(src, dst)
    return true
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === "ENOTEMPTY" || code === "EEXIST") return false
    throw e
  }
}

/**
 * The commit point. Objects become visible by rename; refs move only after a syncfs made the
 * objects durable, so no ref can ever name an object that a power cut lost.
 */
export const commitTransaction = async (txn: Transaction): Promise<TransactionStats> => {
  assertOpen(txn, "commit transaction")
  const repo = txn.repo
  try {
    if (process.env.STRATA_TEST_ERROR === "pre-commit") {
      throw new RepoError({ op: "commit transaction", reason: "Io", detail: "injected failure (STRATA_TEST_ERROR=pre-commit)" })
    }
    if (txn.staged.size) await syncfs(txn.staging)
    publishStaged(txn)
    if (txn.staged.size) await syncfs(repo.path)
    // Every content object staged here was hashed as it was written: remember it as verified,
    // with its final inode state (rename moves ctime), so a checkout need not hash it again.
    if (repo.mode !== "archive") {
      const cache = openVerifiedCache(repo)
      for (const rel of txn.staged) if (rel.endsWith(".file")) cache.add(rel.slice(0, 2) + rel.slice(3, 65))
      cache.flush()
    }
    for (const { kind, ref, csum } of txn.refs.values()) await writeRefNow(repo, kind, ref, csum)
    if (txn.refs.size) await syncfs(repo.path)
    txn.state = "committed"
    await rm(txn.staging, { recursive: true, force: true })
    return txn.stats
  } catch (e) {
    await abortTransaction(txn)
    throw fsError("commit transaction", repo.path, e)
  } finally {
    await txn.lock.release()
  }
}

/** Drops staged objects and buffered refs. Always finishes its cleanup. */
export const abortTransaction = async (txn: Transaction): Promise<void> => {
  if (txn.state !== "open") return
  txn.state = "aborted"
  txn.refs.clear()
  await rm(txn.staging, { recursive: true, force: true }).catch(() => undefined)
  await txn.lock.release().catch(() => undefined)
}

/** Runs `body` inside a transaction: committed if it returns, aborted if it throws. */
export const withTransaction = async <A>(repo: Repo, body: (txn: Transaction) => Promise<A>): Promise<[A, TransactionStats]> => {
  const txn = await beginTransaction(repo)
  let result: A
  try {
    result = await body(txn)
  } catch (e) {
    await abortTransaction(txn)
    throw e
  }
  const stats = await commitTransaction(txn)
  return [result, stats]
}

