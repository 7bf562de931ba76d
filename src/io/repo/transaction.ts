/**
 * Repository write transactions, shaped like ostree's (ostree-repo-commit.c prepare/commit/abort):
 * objects are written into `tmp/staging-<boot_id>-<pid>-<rand>/`, refs are buffered; `commit`
 * runs syncfs → renames every staged object into `objects/` → syncfs → writes the refs (the
 * commit point) → syncfs. An aborted or crashed transaction leaves only its staging dir, which
 * the next transaction on this boot removes once its owner is dead.
 */
import { randomBytes, createHash } from "node:crypto"
import { mkdir, readdir, readFile, rm, writeFile, open, symlink, lutimes, lchown, link, copyFile, chmod, chown, utimes } from "node:fs/promises"
import { createReadStream, createWriteStream } from "node:fs"
import { pipeline } from "node:stream/promises"
import { deflateRaw, createDeflateRaw } from "node:zlib"
import { promisify } from "node:util"
import { join } from "node:path"
import { setAttribute } from "@napi-rs/xattr"
import {
  loosePath, fileHeaderBytes, filezHeaderBytes, serializeBareUserMeta, isSymlink, validateRef, xattrName,
  type Checksum, type FileMeta, type ObjectType,
} from "../../formats/ostree/index.js"
import { RepoError, fsError } from "./error.js"
import { isArchive, type Repo } from "./repo.js"
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
      repo, staging, staged: new Set(), refs: new Map(), lock, state: "open",
      stats: { metadataWritten: 0, contentWritten: 0, contentBytesWritten: 0, objectsSkipped: 0 },
    }
  } catch (e) {
    await lock.release()
    throw fsError("begin transaction", repo.path, e)
  }
}

const relPath = (csum: Checksum, type: ObjectType, archive: boolean): string => loosePath(csum, type, archive).slice(8)

/** Present in objects/ already, or staged by this transaction. */
const alreadyHave = async (txn: Transaction, rel: string): Promise<boolean> => {
  if (txn.staged.has(rel)) return true
  try {
    await open(`${txn.repo.path}/objects/${rel}`, "r").then((h) => h.close())
    return true
  } catch {
    return false
  }
}

const stagedDirs = new WeakMap<Transaction, Set<string>>()
const ensureStagingDir = async (txn: Transaction, rel: string): Promise<string> => {
  let dirs = stagedDirs.get(txn)
  if (!dirs) stagedDirs.set(txn, (dirs = new Set()))
  const prefix = rel.slice(0, 2)
  if (!dirs.has(prefix)) {
    await mkdir(join(txn.staging, prefix), { recursive: true })
    dirs.add(prefix)
  }
  return `${txn.staging}/${rel}`
}

const assertOpen = (txn: Transaction, op: string): void => {
  if (txn.state !== "open") throw new RepoError({ op, reason: "Invalid", detail: `transaction is already ${txn.state}` })
}

/** Writes a metadata object (dirtree, dirmeta, commit, …); its name is the SHA-256 of its bytes. */
export const writeMetadata = async (txn: Transaction, type: ObjectType, bytes: Uint8Array): Promise<Checksum> => {
  assertOpen(txn, `write ${type}`)
  const csum = createHash("sha256").update(bytes).digest("hex")
  const rel = relPath(csum, type, false)
  if (await alreadyHave(txn, rel)) {
    txn.stats.objectsSkipped++
    return csum
  }
  const dest = await ensureStagingDir(txn, rel)
  try {
    await writeFile(dest, bytes, { mode: 0o644 })
  } catch (e) {
    throw fsError(`write ${type}`, dest, e)
  }
  txn.staged.add(rel)
  txn.stats.metadataWritten++
  return csum
}

/** The checksum a content object will have. */
export const checksumContent = (meta: FileMeta, data: Uint8Array): Checksum => {
  const h = createHash("sha256").update(fileHeaderBytes(meta))
  if (!isSymlink(meta)) h.update(data)
  return h.digest("hex")
}

/** Where a content object's bytes come from: memory, or a file copied/streamed without loading it. */
export type ContentSource = { readonly data: Uint8Array } | { readonly path: string; readonly size: number }

/**
 * Writes a content object, storing it as the repo mode requires. `known` is the checksum when
 * the caller already hashed it (a streamed large file). Skips objects already present.
 */
export const writeContent = async (txn: Transaction, meta: FileMeta, data: Uint8Array, known?: Checksum): Promise<Checksum> =>
  writeContentFrom(txn, meta, { data }, known ?? checksumContent(meta, data))

export const writeContentFrom = async (txn: Transaction, meta: FileMeta, src: ContentSource, csum: Checksum): Promise<Checksum> => {
  assertOpen(txn, "write file")
  const rel = relPath(csum, "file", isArchive(txn.repo))
  if (await alreadyHave(txn, rel)) {
    txn.stats.objectsSkipped++
    return csum
  }
  const dest = await ensureStagingDir(txn, rel)
  try {
    await storeContent(txn.repo, dest, meta, src)
  } catch (e) {
    await rm(dest, { force: true })
    throw fsError("write file", dest, e)
  }
  txn.staged.add(rel)
  txn.stats.contentWritten++
  txn.stats.contentBytesWritten += "data" in src ? src.data.length : src.size
  return csum
}

const writeBytes = async (dest: string, mode: number, chunks: ReadonlyArray<Uint8Array>): Promise<void> => {
  const h = await open(dest, "w", mode)
  try {
    await h.writev(chunks as Uint8Array[])
  } finally {
    await h.close()
  }
}

/** Puts the payload at `dest` (a regular file); symlinks never come here. */
const writePayload = async (dest: string, src: ContentSource): Promise<void> => {
  if ("data" in src) await writeBytes(dest, 0o600, [src.data])
  else await copyFile(src.path, dest)
}

const storeContent = async (repo: Repo, dest: string, meta: FileMeta, src: ContentSource): Promise<void> => {
  switch (repo.mode) {
    case "archive": {
      if (isSymlink(meta)) return writeBytes(dest, 0o644, [filezHeaderBytes(meta, 0n)])
      if ("data" in src) {
        const body = await deflateRawAsync(src.data, { level: 6 })
        return writeBytes(dest, 0o644, [filezHeaderBytes(meta, BigInt(src.data.length)), body])
      }
      await writeBytes(dest, 0o644, [filezHeaderBytes(meta, BigInt(src.size))])
      await pipeline(createReadStream(src.path), createDeflateRaw({ level: 6 }), createWriteStream(dest, { flags: "a" }))
      return
    }
    case "bare-user": {
      // Always a regular file; the real ownership/mode/xattrs live in user.ostreemeta.
      if (isSymlink(meta)) await writeBytes(dest, 0o644, [Buffer.from(meta.symlinkTarget), Buffer.of(0)])
      else await writePayload(dest, src)
      await chmod(dest, isSymlink(meta) ? 0o644 : (meta.mode & 0o775) | 0o400)
      await utimes(dest, 0, 0)
      await setAttribute(dest, "user.ostreemeta", Buffer.from(serializeBareUserMeta(meta)))
      return
    }
    case "bare":
    case "bare-user-only": {
      const owned = repo.mode === "bare"
      if (isSymlink(meta)) {
        await symlink(meta.symlinkTarget, dest)
        if (owned) await lchown(dest, meta.uid, meta.gid)
        await lutimes(dest, 0, 0)
        return
      }
      await writePayload(dest, src)
      if (owned) await chown(dest, meta.uid, meta.gid)
      await chmod(dest, meta.mode & 0o7777)
      await utimes(dest, 0, 0)
      if (owned) for (const x of meta.xattrs) await setAttribute(dest, xattrName(x), Buffer.from(x[1]))
      return
    }
  }
}

/** Buffers a ref update; it is written at commit, after every object is durable. */
export const setRef = (txn: Transaction, ref: string, csum: Checksum | null, kind: RefKind = "heads"): void => {
  assertOpen(txn, "set ref")
  validateRef(ref)
  txn.refs.set(`${kind}/${ref}`, { kind, ref, csum })
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
    const made = new Set<string>()
    const entries = [...txn.staged]
    const BATCH = 64
    for (let i = 0; i < entries.length; i += BATCH) {
      await Promise.all(
        entries.slice(i, i + BATCH).map(async (rel) => {
          const prefix = rel.slice(0, 2)
          if (!made.has(prefix)) {
            made.add(prefix)
            await mkdir(`${repo.path}/objects/${prefix}`, { recursive: true, mode: 0o775 })
          }
          // Never replace an existing object (bare checkouts hardlink to it): link, then drop the staged name.
          try {
            await link(`${txn.staging}/${rel}`, `${repo.path}/objects/${rel}`)
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
          }
        }),
      )
    }
    if (txn.staged.size) await syncfs(repo.path)
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

