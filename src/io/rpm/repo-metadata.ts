/**
 * Loading an rpm-md repository: resolve its base URL (baseurl, or the first usable entry of a
 * metalink / mirror list), fetch repomd.xml, stream primary.xml (and optionally filelists.xml)
 * through decompression and the XML parser while hashing the compressed bytes against repomd's
 * checksum, and keep the result in an on-disk cache (the columns of a PackageTable) that loads many
 * times faster than the XML. The cache is used without touching the network until `metadata_expire` passes; after that
 * an unchanged repomd checksum revalidates it. A failed load never replaces a good cache.
 */
import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync, existsSync } from "node:fs"
import { join } from "node:path"
import { StringDecoder } from "node:string_decoder"
import { pipeline } from "node:stream/promises"
import { createGunzip } from "node:zlib"
import type { Transform } from "node:stream"
import { decompressor } from "../../formats/rpm/payload.js"
import { payloadDecompressor } from "./decompress.js"
import { filelistsParser, parseRepomd, type MdPackage, type Repomd, type XmlSink } from "../../formats/rpm/repomd.js"
import { primaryTableScanner } from "../../formats/rpm/primary-scan.js"
import { PackageTable } from "../../formats/rpm/package-table.js"
import { globMatch, type RepoConfig } from "../../formats/rpm/repo-conf.js"
import { RpmError, tagged } from "./error.js"
import { fetchBytes, hashName, hashing, joinUrl, openUrl } from "./fetch.js"
import { defaultPrimaryWorkers, parsePrimaryParallel } from "./primary-pool.js"
import { readTableFile, TableFileWriter } from "./table-file.js"

export interface RepoIndex {
  readonly id: string
  readonly baseurl: string
  readonly revision: string | undefined
  /**
   * When the metadata was generated: repomd.xml's newest `<timestamp>` (libdnf's
   * timestamp_generated), seconds since the epoch; undefined when repomd gives none.
   */
  readonly generated: number | undefined
  /** The repository's packages (excludepkgs / includepkgs applied), built from `table` on first use. */
  readonly packages: ReadonlyArray<MdPackage>
  /** Every package of the metadata column-wise, before excludepkgs / includepkgs: for queries. */
  readonly table: PackageTable
  /** Whether excludepkgs / includepkgs let a package of this name through. */
  readonly accepts: (name: string) => boolean
  /** "cache" when served from the cache without fetching; "fetched" when the XML was parsed. */
  readonly source: "cache" | "revalidated" | "fetched"
}

interface CacheMeta {
  readonly version: number
  readonly fetchedAt: number
  readonly baseurl: string
  readonly revision: string | undefined
  /** repomd's newest data timestamp (absent in caches written before it was kept). */
  readonly generated?: number
  readonly primary: string
  readonly filelists: boolean
}

// 5: frames of PackageTable.serialize (columns and a string table), in packages.table (table-file.ts)
const CACHE_VERSION = 5
const CACHE_FILE = "packages.table"
/** primary.xml files larger than this (uncompressed) are parsed on worker threads. */
const PARALLEL_FROM = 16 * 1024 * 1024

const decompressFor = (location: string): Transform => {
  if (location.endsWith(".gz")) return createGunzip({ chunkSize: 256 * 1024 })
  if (location.endsWith(".xz")) return payloadDecompressor("xz") as Transform
  if (location.endsWith(".zst") || location.endsWith(".zstd")) return payloadDecompressor("zstd") as Transform
  if (location.endsWith(".bz2")) return payloadDecompressor("bzip2") as Transform
  return decompressor("identity")
}

/**
 * After a failed parse: a damaged file usually fails to decompress or parse before its checksum
 * can be compared, so hash the whole file and, when that is the cause, say so.
 */
const blameChecksum = async (url: string, checksum: { type: string; value: string }): Promise<void> => {
  const h = hashing(hashName(checksum.type))
  try {
    await pipeline(await openUrl(url), h.stream, async (s: AsyncIterable<Buffer>) => {
      for await (const _ of s) void _
    })
  } catch {
    return // unreadable now: the original error is the one to report
  }
  const got = h.digest()
  if (got !== checksum.value.toLowerCase()) throw new RpmError({ op: "repo load", path: url, reason: "Corrupt", detail: `checksum mismatch (expected ${checksum.value}, got ${got})` })
}

/** Streams one metadata file into an XML sink, checking its compressed checksum. */
const streamXml = async ({ url, checksum, sink }: { url: string; checksum: { type: string; value: string }; sink: XmlSink }): Promise<void> => {
  const h = hashing(hashName(checksum.type))
  const decoder = new StringDecoder("utf8")
  let failure: unknown // node's pipeline reports an AbortError when the consumer throws; keep ours
  try {
    await pipeline(await openUrl(url), h.stream, decompressFor(url), async (source: AsyncIterable<Buffer>) => {
      try {
        for await (const c of source) sink.write(decoder.write(c))
        sink.write(decoder.end())
        sink.end()
      } catch (e) {
        failure = e
        throw e
      }
    })
  } catch (caught) {
    await blameChecksum(url, checksum)
    throw failure ?? caught
  }
  const got = h.digest()
  if (got !== checksum.value.toLowerCase()) throw new RpmError({ op: "repo load", path: url, reason: "Corrupt", detail: `checksum mismatch (expected ${checksum.value}, got ${got})` })
}

/** Streams primary.xml through the worker-thread parser, checking its compressed checksum. */
const streamParallel = async ({ url, checksum, onBlock }: { url: string; checksum: { type: string; value: string }; onBlock?: (parts: ReadonlyArray<Uint8Array>) => void }): Promise<PackageTable> => {
  const h = hashing(hashName(checksum.type))
  let table: PackageTable | undefined
  let failure: unknown
  try {
    await pipeline(await openUrl(url), h.stream, decompressFor(url), async (source: AsyncIterable<Buffer>) => {
      try {
        table = await parsePrimaryParallel({ source, ...(onBlock ? { onBlock } : {}) })
      } catch (e) {
        failure = e
        throw e
      }
    })
  } catch (caught) {
    await blameChecksum(url, checksum)
    throw failure ?? caught
  }
  const got = h.digest()
  if (got !== checksum.value.toLowerCase()) throw new RpmError({ op: "repo load", path: url, reason: "Corrupt", detail: `checksum mismatch (expected ${checksum.value}, got ${got})` })
  return table!
}

/** repo_gpgcheck: repomd.xml.asc must be a good signature by one of the repo's gpgkey keys. */
const verifyRepomd = async ({ repo, baseurl, repomd }: { repo: RepoConfig; baseurl: string; repomd: Buffer }): Promise<void> => {
  const url = joinUrl(baseurl, "repodata/repomd.xml.asc")
  const fail = (detail: string) => new RpmError({ op: "repo load", path: url, reason: "Corrupt", detail })
  if (!repo.gpgkey.length) throw fail("repo_gpgcheck is set but the repository has no gpgkey")
  const armored = (await fetchBytes(url)).toString("utf8")
  const openpgp = await import("openpgp")
  const keys = []
  for (const k of repo.gpgkey) keys.push(...(await openpgp.readKeys({ armoredKeys: (await fetchBytes(k)).toString("utf8") })))
  try {
    const { signatures } = await openpgp.verify({
      message: await openpgp.createMessage({ binary: repomd }), signature: await openpgp.readSignature({ armoredSignature: armored }), verificationKeys: keys, format: "binary",
    })
    await signatures[0]!.verified
  } catch (e) {
    throw fail(`repomd.xml signature is not valid: ${(e as Error).message}`)
  }
}

/** Base URLs to try, from baseurl, or from a metalink's / mirror list's entries. */
export const resolveBaseurls = async (repo: RepoConfig): Promise<string[]> => {
  if (repo.baseurl.length) return [...repo.baseurl]
  if (repo.metalink) {
    const xml = (await fetchBytes(repo.metalink)).toString("utf8")
    const urls = [...xml.matchAll(/<url[^>]*>([^<]+)<\/url>/g)].map((m) => m[1]!.trim()).filter((u) => u.endsWith("/repodata/repomd.xml"))
    if (!urls.length) throw new RpmError({ op: "repo load", path: repo.metalink, reason: "NotFound", detail: "metalink lists no repomd.xml URLs" })
    return urls.map((u) => u.slice(0, -"repodata/repomd.xml".length))
  }
  if (repo.mirrorlist) {
    const lines = (await fetchBytes(repo.mirrorlist)).toString("utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    if (!lines.length) throw new RpmError({ op: "repo load", path: repo.mirrorlist, reason: "NotFound", detail: "mirror list is empty" })
    return lines
  }
  throw new RpmError({ op: "repo load", reason: "Invalid", detail: `repository ${repo.id} has no baseurl, metalink or mirrorlist` })
}

const readCache = (dir: string): { meta: CacheMeta; table: PackageTable } | undefined => {
  try {
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as CacheMeta
    if (meta.version !== CACHE_VERSION) return undefined
    return { meta, table: readTableFile(join(dir, CACHE_FILE)) }
  } catch {
    return undefined // a missing or unreadable cache is simply refetched
  }
}

/** Puts a finished packages file and its meta.json in place. */
const commitCache = async (dir: string, meta: CacheMeta, writer: TableFileWriter): Promise<void> => {
  await writer.finish()
  renameSync(writer.path, join(dir, CACHE_FILE))
  rmSync(join(dir, "packages.msgpack"), { force: true }) // cache versions ≤ 3
  writeFileSync(`${dir}/.meta.json.${process.pid}`, JSON.stringify(meta))
  renameSync(`${dir}/.meta.json.${process.pid}`, join(dir, "meta.json"))
}

const accepter = (repo: RepoConfig): ((name: string) => boolean) =>
  !repo.excludepkgs.length && !repo.includepkgs.length
    ? () => true
    : (name) => !repo.excludepkgs.some((g) => globMatch(g, name)) && (!repo.includepkgs.length || repo.includepkgs.some((g) => globMatch(g, name)))

/** repomd's newest `<timestamp>`, as libdnf computes timestamp_generated. */
const newestTimestamp = (repomd: Repomd): number | undefined => {
  let newest: number | undefined
  for (const d of repomd.data.values()) if (d.timestamp !== undefined && Number.isFinite(d.timestamp) && (newest === undefined || d.timestamp > newest)) newest = d.timestamp
  return newest
}

const repoIndex = (repo: RepoConfig, fields: { baseurl: string; revision: string | undefined; generated: number | undefined; table: PackageTable; source: RepoIndex["source"] }): RepoIndex => {
  const accepts = accepter(repo)
  let packages: MdPackage[] | undefined
  return {
    id: repo.id, ...fields, accepts,
    get packages() {
      if (!packages) {
        packages = fields.table.toPackages()
        if (repo.excludepkgs.length || repo.includepkgs.length) packages = packages.filter((p) => accepts(p.name))
      }
      return packages
    },
  }
}

export interface LoadRepoOptions {
  readonly repo: RepoConfig
  /** Metadata cache root; the repo's cache is `<cacheDir>/<id>/`. Without it nothing is cached. */
  readonly cacheDir?: string
  /** Also read filelists.xml so every package's full file list is known. */
  readonly filelists?: boolean
  /** Ignore metadata_expire and ask the server. */
  readonly refresh?: boolean
  readonly now?: number
}

export const loadRepo = ({ repo, cacheDir, filelists = false, refresh = false, now = Date.now() }: LoadRepoOptions): Promise<RepoIndex> =>
  tagged("repo load", repo.id, async () => {
    const dir = cacheDir ? join(cacheDir, repo.id) : undefined
    const cached = dir ? readCache(dir) : undefined
    const fresh = cached && (!filelists || cached.meta.filelists) && now - cached.meta.fetchedAt < repo.metadataExpire * 1000
    if (cached && fresh && !refresh && (repo.baseurl.length === 0 || repo.baseurl.includes(cached.meta.baseurl)))
      return repoIndex(repo, { baseurl: cached.meta.baseurl, revision: cached.meta.revision, generated: typeof cached.meta.generated === "number" ? cached.meta.generated : undefined, table: cached.table, source: "cache" })

    let lastError: unknown
    for (const baseurl of await resolveBaseurls(repo)) {
      try {
        const repomdBytes = await fetchBytes(joinUrl(baseurl, "repodata/repomd.xml"))
        if (repo.repoGpgcheck) await verifyRepomd({ repo, baseurl, repomd: repomdBytes })
        const repomd = parseRepomd(repomdBytes.toString("utf8"))
        const generated = newestTimestamp(repomd)
        const primary = repomd.data.get("primary")
        if (!primary) throw new RpmError({ op: "repo load", path: baseurl, reason: "Corrupt", detail: "repomd.xml lists no primary metadata" })
        if (cached && dir && cached.meta.primary === primary.checksum.value && (!filelists || cached.meta.filelists)) {
          writeFileSync(join(dir, "meta.json"), JSON.stringify({ ...cached.meta, fetchedAt: now, baseurl, ...(generated !== undefined ? { generated } : {}) }))
          return repoIndex(repo, { baseurl, revision: repomd.revision, generated, table: cached.table, source: "revalidated" })
        }
        let table: PackageTable
        const primaryUrl = joinUrl(baseurl, primary.location)
        const fl = repomd.data.get("filelists")
        const withFiles = filelists && !!fl
        // the cache file is written by libuv's pool while the document is still being parsed
        const created = dir !== undefined && !existsSync(dir)
        if (dir) mkdirSync(dir, { recursive: true })
        const writer = dir ? new TableFileWriter(join(dir, `.${CACHE_FILE}.${process.pid}`)) : undefined
        try {
          const onBlock = writer && !withFiles ? (parts: ReadonlyArray<Uint8Array>) => writer.append(parts) : undefined
          if ((primary.openSize ?? 0) > PARALLEL_FROM && defaultPrimaryWorkers() > 0)
            table = await streamParallel({ url: primaryUrl, checksum: primary.checksum, ...(onBlock ? { onBlock } : {}) })
          else {
            const scan = primaryTableScanner()
            await streamXml({ url: primaryUrl, checksum: primary.checksum, sink: scan.sink })
            table = scan.table()
            onBlock?.(table.serialize())
          }
          if (withFiles) {
            const byId = new Map<string, number>()
            for (let i = 0; i < table.length; i++) byId.set(table.string(i, "pkgid")!, i)
            const files = new Map<number, string[]>()
            await streamXml({
              url: joinUrl(baseurl, fl.location), checksum: fl.checksum,
              sink: filelistsParser((id, list) => {
                const i = byId.get(id)
                if (i !== undefined) files.set(i, list)
              }),
            })
            table = table.withFiles((i) => files.get(i))
            writer?.append(table.serialize())
          }
          if (writer && dir) await commitCache(dir, { version: CACHE_VERSION, fetchedAt: now, baseurl, revision: repomd.revision, ...(generated !== undefined ? { generated } : {}), primary: primary.checksum.value, filelists: withFiles }, writer)
        } catch (e) {
          await writer?.abort()
          // nothing of a failed load stays (a concurrent load's file would keep the directory)
          if (created) {
            try {
              rmdirSync(dir!)
            } catch {
              // not empty: another load is writing there
            }
          }
          throw e
        }
        return repoIndex(repo, { baseurl, revision: repomd.revision, generated, table, source: "fetched" })
      } catch (e) {
        lastError = e
      }
    }
    throw lastError
  })

/** Drops a repository's cache (e.g. `--refresh` on a corrupted cache). */
export const clearRepoCache = (cacheDir: string, id: string): void => {
  if (existsSync(join(cacheDir, id))) rmSync(join(cacheDir, id), { recursive: true, force: true })
}
