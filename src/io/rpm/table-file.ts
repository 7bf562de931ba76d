/**
 * The repository cache's packages file: PackageTable blocks as frames (u32 LE length, u32 zero,
 * the block's serialised bytes, zero padding to 8), so the blocks of a primary.xml parsed on two
 * threads are appended as each arrives, in document order, by libuv's pool while the scan goes on
 * (off the main thread's critical path), and every frame stays 8-byte aligned for the typed
 * array views over it. Read back as one table.
 */
import { readFileSync } from "node:fs"
import { open, rm, type FileHandle } from "node:fs/promises"
import { PackageTable } from "../../formats/rpm/package-table.js"

const PAD = Buffer.alloc(8)

export const readTableFile = (path: string): PackageTable => {
  const file = readFileSync(path)
  const tables: PackageTable[] = []
  for (let at = 0; at < file.length; ) {
    if (at + 8 > file.length) throw new Error("truncated frame")
    const n = file.readUInt32LE(at)
    if (at + 8 + n > file.length) throw new Error("truncated frame")
    tables.push(PackageTable.deserialize(file.subarray(at + 8, at + 8 + n)))
    at += 8 + n + ((8 - (n % 8)) % 8)
  }
  if (!tables.length) throw new Error("no frames")
  return PackageTable.concat(tables)
}

/** Appends frames in the background; `finish()` resolves once all are written and the file closed. */
export class TableFileWriter {
  private chain: Promise<FileHandle>
  private failed: unknown

  constructor(readonly path: string) {
    this.chain = open(path, "w")
    this.chain.catch((e) => (this.failed ??= e))
  }

  append(parts: ReadonlyArray<Uint8Array>): void {
    const n = parts.reduce((s, p) => s + p.byteLength, 0)
    const head = Buffer.alloc(8)
    head.writeUInt32LE(n)
    const pad = (8 - (n % 8)) % 8
    const bufs = [head, ...parts, ...(pad ? [PAD.subarray(0, pad)] : [])]
    this.chain = this.chain.then(async (fh) => {
      await fh.writev(bufs)
      return fh
    })
    this.chain.catch((e) => (this.failed ??= e))
  }

  async finish(): Promise<void> {
    const fh = await this.chain
    await fh.close()
    if (this.failed) throw this.failed
  }

  /** Closes and removes the file (a failed load leaves no partial cache). */
  async abort(): Promise<void> {
    try {
      await (await this.chain).close()
    } catch {
      // already failed: nothing open
    }
    await rm(this.path, { force: true })
  }
}
