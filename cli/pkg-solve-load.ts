/**
 * Loading the pool for `strata pkg solve`: local rpm-md repositories (a directory with
 * repodata/repomd.xml) and an installed set from an rpmdb. primary.xml is read straight into the
 * pool (src/solver/input-primary.ts), checked against repomd's checksum; the pool is then saved
 * as a snapshot (src/solver/snapshot.ts) keyed by every input's identity, so the next run with
 * the same repositories and rpmdb loads it without parsing anything.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import type { Repomd, RepomdData } from "../src/formats/rpm/repomd.js"
import { Pool } from "../src/solver/pool.js"
import { loadSnapshot, saveSnapshot, SnapshotError } from "../src/solver/snapshot.js"

// Only what the warm path (a snapshot hit) needs is imported up front: the XML parsers, zlib,
// the rpmdb and effect's error classes load when they are used.
const solverError = async (args: { op: string; reason: import("../src/lib/error.js").Reason; detail: string; path?: string }): Promise<Error> =>
  new (await import("../src/solver/error.js")).SolverError(args)

export interface LoadOptions {
  readonly repoDirs: ReadonlyArray<string>
  /** An rpmdb.sqlite file, or a tree containing one. */
  readonly installedDb?: string
  readonly arch: string
  /** Where pool snapshots live; undefined: no cache. */
  readonly cacheDir?: string
  /** Also read filelists.xml (every file, not only those primary.xml lists). */
  readonly filelists?: boolean
}

export interface Loaded {
  readonly pool: Pool
  readonly source: "snapshot" | "metadata"
  /**
   * Writes the pool's snapshot; call it after solving, so the providers the solve computed are
   * kept too. A no-op for a pool that came from a snapshot, or without a cache directory.
   */
  readonly save: () => void
}

const SNAPSHOT_FORMAT = 2

/**
 * A file name for a snapshot key: FNV-1a over the key's UTF-16 units, two 32-bit lanes. Not a
 * checksum — the snapshot stores the whole key and a load compares it — so node's crypto (tens
 * of millions of instructions to load) stays out of the warm path.
 */
const keyName = (key: string): string => {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ key.length
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15)
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0")
}

const decompress = async (path: string, bytes: Buffer, openSize?: number): Promise<Uint8Array> => {
  // one output chunk of the size repomd announces: no copying chunks together (half the time);
  // a size no real metadata file has is not trusted with an allocation
  if (path.endsWith(".gz")) {
    const plausible = openSize !== undefined && openSize > 0 && openSize <= Math.min(256 << 20, bytes.length * 64)
    return (await import("node:zlib")).gunzipSync(bytes, plausible ? { chunkSize: Math.max(64 * 1024, openSize + 1) } : {})
  }
  if (!path.endsWith(".xz") && !path.endsWith(".zst") && !path.endsWith(".zstd")) return bytes
  const [{ decompressor }, { Readable }] = await Promise.all([import("../src/formats/rpm/payload.js"), import("node:stream")])
  const chunks: Buffer[] = []
  for await (const c of Readable.from([bytes]).pipe(decompressor(path.endsWith(".xz") ? "xz" : "zstd"))) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/**
 * repomd.xml's data entries read with a few regular expressions: the XML parser behind
 * parseRepomd (saxes) costs more to load than the whole file takes to read, and repomd.xml is
 * small and regular. Anything unexpected falls back to parseRepomd.
 */
const quickRepomd = async (text: string): Promise<Repomd> => {
  const data = new Map<string, RepomdData>()
  for (const m of text.matchAll(/<data\s+type="([^"]+)"\s*>([\s\S]*?)<\/data>/g)) {
    const body = m[2]!
    const loc = /<location\s+href="([^"&]+)"/.exec(body)
    const sum = /<checksum\s+type="([^"]+)"\s*>\s*([0-9a-fA-F]+)\s*<\/checksum>/.exec(body)
    if (!loc || !sum) return (await import("../src/formats/rpm/repomd.js")).parseRepomd(text)
    const open = /<open-size>\s*(\d+)\s*<\/open-size>/.exec(body)
    data.set(m[1]!, { type: m[1]!, location: loc[1]!, checksum: { type: sum[1]!, value: sum[2]! }, openChecksum: undefined, size: undefined, openSize: open ? Number(open[1]) : undefined, timestamp: undefined })
  }
  if (!/<repomd[\s>]/.test(text) || !data.size) return (await import("../src/formats/rpm/repomd.js")).parseRepomd(text)
  return { revision: undefined, data }
}

const HASHES: Record<string, string> = { sha: "sha1", sha1: "sha1", sha256: "sha256", sha384: "sha384", sha512: "sha512", md5: "md5" }

/** A metadata file's bytes, checked against repomd's checksum (still compressed). */
const rawMetadata = async (dir: string, repomd: Repomd, type: string): Promise<{ path: string; raw: Buffer; openSize?: number } | undefined> => {
  const d = repomd.data.get(type)
  if (!d) return undefined
  const path = join(dir, d.location)
  const raw = readFileSync(path)
  const algo = HASHES[d.checksum.type.toLowerCase()]
  if (!algo) throw await solverError({ op: "pkg solve", path, reason: "Unsupported", detail: `checksum type ${d.checksum.type}` })
  const got = (await import("node:crypto")).createHash(algo).update(raw).digest("hex")
  if (got !== d.checksum.value.toLowerCase()) throw await solverError({ op: "pkg solve", path, reason: "Corrupt", detail: `checksum mismatch (expected ${d.checksum.value}, got ${got})` })
  return { path, raw, openSize: d.openSize }
}

const metadataFile = async (dir: string, repomd: Repomd, type: string): Promise<Uint8Array | undefined> => {
  const m = await rawMetadata(dir, repomd, type)
  return m && decompress(m.path, m.raw, m.openSize)
}

const findDb = (p: string): string | undefined => {
  if (existsSync(p) && statSync(p).isFile()) return p
  for (const rel of ["usr/share/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite", "rpmdb.sqlite"]) if (existsSync(join(p, rel))) return join(p, rel)
  return undefined
}

export const loadPool = async ({ repoDirs, installedDb, arch, cacheDir, filelists = false }: LoadOptions): Promise<Loaded> => {
  const repos = []
  for (const dir of repoDirs) {
    const path = join(dir, "repodata", "repomd.xml")
    if (!existsSync(path)) throw await solverError({ op: "pkg solve", path: dir, reason: "NotFound", detail: "no repodata/repomd.xml in this directory" })
    const text = readFileSync(path)
    repos.push({ dir: resolve(dir), text })
  }
  const db = installedDb !== undefined ? findDb(installedDb) : undefined
  if (installedDb !== undefined && !db) throw await solverError({ op: "pkg solve", path: installedDb, reason: "NotFound", detail: "no rpmdb here" })
  const dbStat = db ? statSync(db) : undefined
  // the key holds every input's identity in full (repomd.xml names each metadata file's checksum)
  const key = JSON.stringify({ v: SNAPSHOT_FORMAT, arch, filelists, repos: repos.map((r) => [r.dir, r.text.toString("utf8")]), db: db && dbStat ? [resolve(db), dbStat.size, dbStat.mtimeMs] : null })
  const snap = cacheDir ? join(cacheDir, `${keyName(key)}.pool`) : undefined
  if (snap && existsSync(snap)) {
    try {
      const { pool, meta } = loadSnapshot(readFileSync(snap))
      if (meta === key) return { pool, source: "snapshot", save: () => undefined }
    } catch (e) {
      if (!(e instanceof SnapshotError)) throw e // a damaged snapshot is rebuilt below
    }
  }
  const pool = new Pool({ arch })
  const { addPrimaryXml, PrimaryXmlError } = await import("../src/solver/input-primary.js")
  if (db) {
    const [{ readRpmdb }, { packageOfHeader }] = await Promise.all([import("../src/io/rpm/rpmdb.js"), import("../src/solver/input-header.js")])
    const sys = pool.addRepo({ name: "@System", installed: true })
    for (const p of readRpmdb(db)) pool.addPackage(sys, packageOfHeader(p.header))
  }
  for (const r of repos) {
    const repomd = await quickRepomd(r.text.toString("utf8"))
    const id = pool.addRepo({ name: r.dir.split("/").filter(Boolean).pop() ?? r.dir, priority: 0 })
    const primary = await rawMetadata(r.dir, repomd, "primary")
    if (!primary) throw await solverError({ op: "pkg solve", path: r.dir, reason: "Corrupt", detail: "repomd.xml lists no primary metadata" })
    try {
      const pkgids = filelists ? new Map<string, number>() : undefined
      // one buffer, one call: measured, streaming the gunzip beside the parse was slower (the
      // parse is the long pole, and a parser restarted per block loses its optimized code)
      addPrimaryXml(pool, id, await decompress(primary.path, primary.raw, primary.openSize), { pkgids })
      if (pkgids) await addFilelists(pool, pkgids, await metadataFile(r.dir, repomd, "filelists"))
    } catch (e) {
      if (e instanceof PrimaryXmlError) throw await solverError({ op: "pkg solve", path: r.dir, reason: "Corrupt", detail: e.message })
      throw e
    }
  }
  pool.finalize()
  const save = (): void => {
    if (!snap) return
    try {
      mkdirSync(cacheDir!, { recursive: true })
      const tmp = `${snap}.${process.pid}`
      writeFileSync(tmp, saveSnapshot(pool, key))
      renameSync(tmp, snap)
    } catch {
      // a cache that cannot be written only costs the next run its speed
    }
  }
  return { pool, source: "metadata", save }
}

/** filelists.xml: every file of every package, matched to primary's packages by pkgid. */
const addFilelists = async (pool: Pool, pkgids: Map<string, number>, bytes: Uint8Array | undefined): Promise<void> => {
  if (!bytes) return
  const { filelistsParser } = await import("../src/formats/rpm/repomd.js")
  const files = new Map<number, string[]>()
  const sink = filelistsParser((pkgid, list) => {
    const s = pkgids.get(pkgid)
    if (s !== undefined) files.set(s, list)
  })
  sink.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"))
  sink.end()
  pool.setFiles(files)
}
