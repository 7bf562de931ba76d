/**
 * primary.xml parsed on worker threads: the decompressed stream is cut into blocks of whole
 * `<package>` elements (cut just before a `<package` tag, which is ASCII, so never inside a UTF-8
 * character), and each block is scanned into a PackageTable by a worker; the blocks' tables are
 * joined in document order. With one worker (two cores) the main thread scans every other block
 * itself: gunzip runs on libuv's pool meanwhile, so both cores scan.
 */
import { Worker } from "node:worker_threads"
import { availableParallelism } from "node:os"
import { corrupt } from "../../formats/rpm/error.js"
import { PackageTable } from "../../formats/rpm/package-table.js"
import { primaryTableScanner } from "../../formats/rpm/primary-scan.js"
import type { FromPrimaryWorker, ToPrimaryWorker } from "./primary-worker.js"

const OPEN = Buffer.from("<package")
const CLOSE = Buffer.from("</package>")
const BLOCK = 4 * 1024 * 1024

/** A `<package` start tag (not `<packager>`): the name must end in whitespace or '>'. */
const isPackageTag = (b: Buffer, at: number): boolean => {
  const c = b[at + OPEN.length]
  return c === 0x20 || c === 0x3e || c === 0x09 || c === 0x0a || c === 0x0d
}
const firstPackage = (b: Buffer): number => {
  for (let i = b.indexOf(OPEN); i >= 0; i = b.indexOf(OPEN, i + 1)) if (i + OPEN.length < b.length && isPackageTag(b, i)) return i
  return -1
}
const lastPackage = (b: Buffer): number => {
  for (let i = b.lastIndexOf(OPEN); i >= 0; i = i > 0 ? b.lastIndexOf(OPEN, i - 1) : -1) if (i + OPEN.length < b.length && isPackageTag(b, i)) return i
  return -1
}

/** One block of whole `<package>` elements (UTF-8) as a table. */
export const parsePrimaryBlock = (bytes: Buffer): PackageTable => {
  const scan = primaryTableScanner()
  scan.sink.write("<metadata>")
  scan.sink.write(bytes.toString("utf8"))
  scan.sink.write("</metadata>")
  scan.sink.end()
  return scan.table()
}

// Workers beside the main thread, which splits and (with a single worker) scans too.
export const defaultPrimaryWorkers = (): number => Number(process.env["STRATA_XML_WORKERS"] ?? Math.max(1, availableParallelism() - 1))

/**
 * Consumes decompressed primary.xml bytes; resolves to its packages. `local`: the main thread
 * scans every (workers + 1)-th block itself (default: when there is a single worker).
 */
export const parsePrimaryParallel = async ({ source, workers = defaultPrimaryWorkers(), blockSize = BLOCK, local = workers === 1, onBlock }: {
  source: AsyncIterable<Buffer>; workers?: number; blockSize?: number; local?: boolean
  /** Each block's serialised table, in document order, as soon as it and those before it are done (the cache). */
  onBlock?: (parts: ReadonlyArray<Uint8Array>) => void
}): Promise<PackageTable> => {
  const pool = Array.from({ length: workers }, () => new Worker(new URL("./primary-worker.js", import.meta.url)))
  const tables: PackageTable[] = []
  const serialised: Array<ReadonlyArray<Uint8Array> | undefined> = []
  let emitted = 0
  const ready = (id: number, parts: ReadonlyArray<Uint8Array>): void => {
    if (!onBlock) return
    serialised[id] = parts
    for (let p; (p = serialised[emitted]); emitted++) {
      serialised[emitted] = undefined
      onBlock(p)
    }
  }
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  let failure: Error | undefined
  for (const w of pool) {
    w.on("message", (m: FromPrimaryWorker) => {
      const p = pending.get(m.id)!
      pending.delete(m.id)
      if ("error" in m) {
        failure ??= corrupt("primary.xml", `malformed XML: ${m.error.replace(/^rpm primary.xml: (malformed XML: )?/, "")}`)
        p.reject(failure)
      } else {
        try {
          tables[m.id] = PackageTable.deserialize(Buffer.from(m.table.buffer, m.table.byteOffset, m.table.byteLength))
          ready(m.id, [m.table])
          p.resolve()
        } catch (e) {
          p.reject(e as Error)
        }
      }
    })
    w.on("error", (e) => {
      failure ??= e
      for (const p of pending.values()) p.reject(e)
    })
  }
  const inflight: Array<Promise<void>> = []
  let next = 0
  const send = (bytes: Buffer): void => {
    if (failure) throw failure
    const id = next++
    if (local && id % (workers + 1) === workers) {
      tables[id] = parsePrimaryBlock(bytes)
      if (onBlock) ready(id, tables[id]!.serialize())
      return
    }
    const copy = new Uint8Array(bytes.length)
    copy.set(bytes)
    const done = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }))
    done.catch(() => undefined) // observed by Promise.all below; never an unhandled rejection
    inflight.push(done)
    pool[id % (workers + (local ? 1 : 0)) % pool.length]!.postMessage({ id, bytes: copy } satisfies ToPrimaryWorker, [copy.buffer])
  }
  try {
    // chunks are collected and joined once per block, not re-concatenated on every chunk
    let parts: Buffer[] = []
    let size = 0
    let started = false
    for await (const chunk of source) {
      parts.push(chunk)
      size += chunk.length
      if (!started) {
        const head = Buffer.concat(parts)
        parts = [head]
        const first = firstPackage(head)
        if (first < 0) {
          if (size > 1024 * 1024) throw corrupt("primary.xml", "no <package> in the first megabyte")
          continue
        }
        if (!/<metadata[\s>]/.test(head.subarray(0, first).toString("utf8"))) throw corrupt("primary.xml", "root element is not <metadata>")
        parts = [head.subarray(first)]
        size = parts[0]!.length
        started = true
      }
      if (size >= blockSize) {
        const joined = Buffer.concat(parts)
        const cut = lastPackage(joined)
        if (cut > 0) {
          send(joined.subarray(0, cut))
          parts = [joined.subarray(cut)]
        } else parts = [joined]
        size = parts[0]!.length
      }
    }
    const buf = Buffer.concat(parts)
    if (!started) throw corrupt("primary.xml", "no <package> elements")
    const end = buf.lastIndexOf(CLOSE)
    if (end < 0) throw corrupt("primary.xml", "truncated: no closing </package>")
    const epilogue = buf.subarray(end + CLOSE.length).toString("utf8")
    if (!/^\s*<\/metadata>\s*$/.test(epilogue)) throw corrupt("primary.xml", "malformed XML after the last package")
    send(buf.subarray(0, end + CLOSE.length))
    await Promise.all(inflight)
    return PackageTable.concat(tables)
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
}
