/**
 * primary.xml parsed on worker threads: the decompressed stream is cut into blocks of whole
 * `<package>` elements (cut just before a `<package` tag, which is ASCII, so never inside a UTF-8
 * character), and each block is parsed by a worker with saxes. On two cores this roughly halves
 * a large repository's cold load. Each worker returns its block as msgpack, kept as a cache frame.
 */
import { Worker } from "node:worker_threads"
import { availableParallelism } from "node:os"
import { corrupt } from "../../formats/rpm/error.js"
import type { FromPrimaryWorker, ToPrimaryWorker } from "./primary-worker.js"

const OPEN = Buffer.from("<package")
const CLOSE = Buffer.from("</package>")
const BLOCK = 4 * 1024 * 1024

export const defaultPrimaryWorkers = (): number => Number(process.env["STRATA_XML_WORKERS"] ?? Math.max(1, availableParallelism()))

/** Consumes decompressed primary.xml bytes; resolves to the packed frames in document order. */
export const parsePrimaryParallel = async ({ source, workers = defaultPrimaryWorkers(), blockSize = BLOCK }: { source: AsyncIterable<Buffer>; workers?: number; blockSize?: number }): Promise<Uint8Array[]> => {
  const pool = Array.from({ length: workers }, () => new Worker(new URL("./primary-worker.js", import.meta.url)))
  const frames: Uint8Array[] = []
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
        frames[m.id] = m.packed
        p.resolve()
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
    const copy = new Uint8Array(bytes.length)
    copy.set(bytes)
    const done = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }))
    done.catch(() => undefined) // observed by Promise.all below; never an unhandled rejection
    inflight.push(done)
    pool[id % pool.length]!.postMessage({ id, bytes: copy } satisfies ToPrimaryWorker, [copy.buffer])
  }
  try {
    let buf: Buffer = Buffer.alloc(0)
    let started = false
    for await (const chunk of source) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      if (!started) {
        const first = buf.indexOf(OPEN)
        if (first < 0) {
          if (buf.length > 1024 * 1024) throw corrupt("primary.xml", "no <package> in the first megabyte")
          continue
        }
        const prologue = buf.subarray(0, first).toString("utf8")
        if (!/<metadata[\s>]/.test(prologue)) throw corrupt("primary.xml", "root element is not <metadata>")
        buf = buf.subarray(first)
        started = true
      }
      if (buf.length >= blockSize) {
        const cut = buf.lastIndexOf(OPEN)
        if (cut > 0) {
          send(buf.subarray(0, cut))
          buf = buf.subarray(cut)
        }
      }
    }
    if (!started) throw corrupt("primary.xml", "no <package> elements")
    const end = buf.lastIndexOf(CLOSE)
    if (end < 0) throw corrupt("primary.xml", "truncated: no closing </package>")
    const epilogue = buf.subarray(end + CLOSE.length).toString("utf8")
    if (!/^\s*<\/metadata>\s*$/.test(epilogue)) throw corrupt("primary.xml", "malformed XML after the last package")
    send(buf.subarray(0, end + CLOSE.length))
    await Promise.all(inflight)
    return frames
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
}
