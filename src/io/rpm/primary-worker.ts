/**
 * Worker for primary-pool.ts: parses one block of whole `<package>` elements with the same
 * streaming scanner as the single-threaded path and returns the block's PackageTable serialised
 * (one transferable buffer of columns and strings).
 */
import { parentPort } from "node:worker_threads"
import { parsePrimaryBlock } from "./primary-pool.js"

export type ToPrimaryWorker = { readonly id: number; readonly bytes: Uint8Array }
export type FromPrimaryWorker = { readonly id: number; readonly table: Uint8Array } | { readonly id: number; readonly error: string }

parentPort!.on("message", (m: ToPrimaryWorker) => {
  try {
    const bytes = Buffer.concat(parsePrimaryBlock(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength)).serialize())
    const table = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    parentPort!.postMessage({ id: m.id, table } satisfies FromPrimaryWorker, bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length ? [table.buffer as ArrayBuffer] : [])
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message } satisfies FromPrimaryWorker)
  }
})
