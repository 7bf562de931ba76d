/**
 * Fetching from file:// and http(s):// URLs (undici, one keep-alive pool per origin): whole small
 * documents, streams, and downloads to a file that are hashed on the way and renamed into place
 * only when the checksum matches — so a bad download never lands.
 */
import { createReadStream, createWriteStream, readFileSync, renameSync, rmSync } from "node:fs"
import { createHash } from "node:crypto"
import { Readable, Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import { fileURLToPath } from "node:url"
import { RpmError } from "./error.js"

const isFile = (url: string): boolean => url.startsWith("file:") || url.startsWith("/")
const filePath = (url: string): string => (url.startsWith("/") ? url : fileURLToPath(url))

/** Joins a repository base URL and a relative location ("repodata/x.xml.gz"). */
export const joinUrl = (base: string, rel: string): string => (base.endsWith("/") ? base : base + "/") + rel.replace(/^\/+/, "")

let dispatcher: import("undici").Dispatcher | undefined

const httpGet = async (url: string): Promise<Readable> => {
  const { request, Agent, interceptors } = await import("undici")
  // one keep-alive agent for the process; mirrors and CDNs redirect
  dispatcher ??= new Agent({ connections: 8 }).compose(interceptors.redirect({ maxRedirections: 5 }))
  const res = await request(url, { method: "GET", dispatcher }).catch((e: Error) => {
    throw new RpmError({ op: "fetch", path: url, reason: "Io", detail: e.message })
  })
  if (res.statusCode !== 200) {
    await res.body.dump()
    throw new RpmError({ op: "fetch", path: url, reason: res.statusCode === 404 ? "NotFound" : "Io", detail: `HTTP ${res.statusCode}` })
  }
  return res.body as unknown as Readable
}

/** A readable stream of the URL's bytes. */
export const openUrl = async (url: string): Promise<Readable> => {
  if (!isFile(url)) return httpGet(url)
  const s = createReadStream(filePath(url), { highWaterMark: 1024 * 1024 })
  await new Promise<void>((resolve, reject) => {
    s.once("open", () => resolve())
    s.once("error", (e: NodeJS.ErrnoException) =>
      reject(new RpmError({ op: "fetch", path: url, reason: e.code === "ENOENT" ? "NotFound" : "Io", detail: e.message })))
  })
  return s
}

/** The whole document (for small files: repomd.xml, metalinks, mirror lists). */
export const fetchBytes = async (url: string): Promise<Buffer> => {
  if (isFile(url)) {
    try {
      return readFileSync(filePath(url))
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      throw new RpmError({ op: "fetch", path: url, reason: err.code === "ENOENT" ? "NotFound" : "Io", detail: err.message })
    }
  }
  const parts: Buffer[] = []
  for await (const c of await httpGet(url)) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

/** A pass-through that hashes what flows through it. */
export const hashing = (algo: string): { stream: Transform; digest: () => string } => {
  const h = createHash(algo)
  return {
    stream: new Transform({
      transform(c: Buffer, _e, cb) {
        h.update(c)
        cb(null, c)
      },
    }),
    digest: () => h.digest("hex"),
  }
}

/** rpm-md checksum type names → node hash names ("sha" is sha1 in old repos). */
export const hashName = (type: string): string => {
  const t = type.toLowerCase()
  return t === "sha" ? "sha1" : t
}

/** Downloads `url` to `dest`, verifying `checksum` before the file appears at `dest`. */
export const download = async ({ url, dest, checksum }: { url: string; dest: string; checksum?: { type: string; value: string } }): Promise<void> => {
  const tmp = `${dest}.part-${process.pid}`
  const h = checksum ? hashing(hashName(checksum.type)) : undefined
  try {
    const src = await openUrl(url)
    if (h) await pipeline(src, h.stream, createWriteStream(tmp))
    else await pipeline(src, createWriteStream(tmp))
    if (h && checksum) {
      const got = h.digest()
      if (got !== checksum.value.toLowerCase())
        throw new RpmError({ op: "download", path: url, reason: "Corrupt", detail: `${checksum.type} checksum mismatch (expected ${checksum.value}, got ${got})` })
    }
    renameSync(tmp, dest)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}
