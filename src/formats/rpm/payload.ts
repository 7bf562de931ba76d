/**
 * Payload decompression: the transform for a header's PAYLOADCOMPRESSOR, and the limits that
 * stop a decompression bomb. No I/O; callers pipe the file bytes after the headers through it.
 */
import { Transform, type TransformCallback } from "node:stream"
import { createGunzip } from "node:zlib"
import { createRequire } from "node:module"
import { corrupt, unsupported } from "./error.js"

const require = createRequire(import.meta.url)

/** The compressors strata decodes in process. bzip2 (no maintained library) needs the `bzip2` program. */
export const SUPPORTED_COMPRESSORS = ["gzip", "xz", "lzma", "zstd", "identity"] as const

/** A streaming decompressor for `compressor` (rpm's PAYLOADCOMPRESSOR; absent means gzip). */
export const decompressor = (compressor: string | undefined): Transform => {
  switch (compressor ?? "gzip") {
    case "gzip":
      return createGunzip({ chunkSize: 256 * 1024 })
    case "xz": case "lzma": {
      // loaded on first use: its native binding costs start-up time every other command would pay
      const lzma = require("lzma-native") as typeof import("lzma-native")
      return lzma.createStream("autoDecoder", { memlimit: 512 * 1024 * 1024 })
    }
    case "zstd":
      return zstdTransform()
    case "identity":
      return new Transform({ transform: (c, _e, cb) => cb(null, c) })
    case "bzip2":
      // io/rpm/decompress.ts decodes them with the system's bzip2; there is no in-process decoder
      throw unsupported("payload", "bzip2 payloads need the bzip2 program (apt-get install bzip2)")
    default:
      throw unsupported("payload", `unknown payload compressor "${compressor}"`)
  }
}

/** fzstd's streaming decoder as a node Transform. */
const zstdTransform = (): Transform => {
  const fzstd = require("fzstd") as typeof import("fzstd")
  let target: Transform | undefined
  const d = new fzstd.Decompress((chunk) => {
    if (chunk.length) target!.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
  })
  const wrap = (f: () => void, cb: TransformCallback): void => {
    try {
      f()
      cb()
    } catch (e) {
      cb(corrupt("payload", `zstd: ${(e as Error).message}`))
    }
  }
  target = new Transform({
    transform: (chunk: Buffer, _e, cb) => wrap(() => d.push(chunk), cb),
    flush: (cb) => wrap(() => d.push(new Uint8Array(0), true), cb),
  })
  return target
}

export interface BombLimits {
  /** Hard cap on decompressed bytes, whatever the header says. */
  readonly maxBytes?: number
  /** Largest decompressed:compressed ratio tolerated once `ratioAfter` bytes are out. */
  readonly maxRatio?: number
  readonly ratioAfter?: number
}

export const DEFAULT_LIMITS: Required<BombLimits> = { maxBytes: 64 * 1024 ** 3, maxRatio: 1000, ratioAfter: 64 * 1024 * 1024 }

/**
 * Tracks compressed in / decompressed out and throws as soon as either the header's declared
 * size (plus cpio framing slack), the hard cap, or the expansion ratio is exceeded — so a bomb
 * is stopped after a bounded amount of output, not at the end.
 */
export class BombGuard {
  private inBytes = 0
  private outBytes = 0
  private readonly limits: Required<BombLimits>
  constructor(private readonly declared: number | undefined, limits: BombLimits = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits }
  }
  input(n: number): void {
    this.inBytes += n
  }
  output(n: number): void {
    this.outBytes += n
    const { maxBytes, maxRatio, ratioAfter } = this.limits
    if (this.declared !== undefined && this.outBytes > this.declared)
      throw corrupt("payload", `decompresses to more than the ${this.declared} bytes its header declares (possible decompression bomb)`)
    if (this.outBytes > maxBytes) throw corrupt("payload", `decompresses to more than ${maxBytes} bytes (decompression bomb limit)`)
    if (this.outBytes > ratioAfter && this.outBytes > this.inBytes * maxRatio)
      throw corrupt("payload", `expands more than ${maxRatio}:1 (decompression bomb limit)`)
  }
  get decompressed(): number {
    return this.outBytes
  }
}
