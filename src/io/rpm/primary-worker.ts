/**
 * Worker for primary-pool.ts: parses one block of whole `<package>` elements with the same
 * streaming parser as the single-threaded path and returns the packages as a msgpack buffer
 * (records), which doubles as that block's frame in the metadata cache.
 */
import { parentPort } from "node:worker_threads"
import { Packr } from "msgpackr"
import { primaryParser, type MdPackage } from "../../formats/rpm/repomd.js"

export type ToPrimaryWorker = { readonly id: number; readonly bytes: Uint8Array }
export type FromPrimaryWorker = { readonly id: number; readonly packed: Uint8Array; readonly count: number } | { readonly id: number; readonly error: string }

const packr = new Packr({ useRecords: true })

parentPort!.on("message", (m: ToPrimaryWorker) => {
  try {
    const found: MdPackage[] = []
    const sink = primaryParser((p) => found.push(p))
    sink.write("<metadata>")
    sink.write(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength).toString("utf8"))
    sink.write("</metadata>")
    sink.end()
    const packed = packr.pack(found)
    const out = new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength)
    parentPort!.postMessage({ id: m.id, packed: out, count: found.length } satisfies FromPrimaryWorker)
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message } satisfies FromPrimaryWorker)
  }
})
