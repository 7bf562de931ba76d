/**
 * Downloads of the resolved packages into the cachedir, each verified against the checksum the
 * repository metadata gives for it before it appears under its final name. A file already in the
 * cache is hashed again before it is used: a cache is trusted only for what it holds, never for
 * having held it (a truncated or edited file is fetched again).
 */
import { createReadStream, existsSync, mkdirSync, rmSync } from "node:fs"
import { join } from "node:path"
import { pipeline } from "node:stream/promises"
import { download, hashName, hashing } from "../rpm/fetch.js"
import { asRpmError } from "../rpm/error.js"
import type { ResolvedPackage } from "./resolve.js"

export const packagesCacheDir = (cachedir: string): string => join(cachedir, "packages")

/** Where a package lives in the cache: named by its checksum, so two repositories never collide. */
export const cachedPackagePath = (cachedir: string, p: Pick<ResolvedPackage, "checksum" | "nevra">): string =>
  join(packagesCacheDir(cachedir), `${p.checksum.value.slice(0, 16)}-${p.nevra}.rpm`)

const fileDigest = async (path: string, type: string): Promise<string> => {
  const h = hashing(hashName(type))
  await pipeline(createReadStream(path), h.stream, async function* (src) {
    for await (const _ of src) yield* []
  })
  return h.digest()
}

export interface DownloadResult {
  readonly paths: string[]
  readonly fetched: number
  readonly reused: number
  readonly bytes: number
}

/** Fetches every package not already (verified) in the cache; returns the paths in input order. */
export const downloadPackages = async ({ packages, cachedir, concurrency = 4 }: { packages: ReadonlyArray<ResolvedPackage>; cachedir: string; concurrency?: number }): Promise<DownloadResult> => {
  mkdirSync(packagesCacheDir(cachedir), { recursive: true })
  const paths = packages.map((p) => cachedPackagePath(cachedir, p))
  let fetched = 0
  let reused = 0
  let bytes = 0
  let next = 0
  const one = async (i: number): Promise<void> => {
    const p = packages[i]!
    const dest = paths[i]!
    if (existsSync(dest)) {
      if ((await fileDigest(dest, p.checksum.type)) === p.checksum.value) {
        reused++
        return
      }
      rmSync(dest, { force: true }) // damaged: fetch it again
    }
    try {
      await download({ url: p.url, dest, checksum: p.checksum })
    } catch (e) {
      throw asRpmError(e, "compose download", p.url)
    }
    fetched++
    bytes += p.size
  }
  const worker = async (): Promise<void> => {
    while (next < packages.length) await one(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, packages.length) }, worker))
  return { paths, fetched, reused, bytes }
}
