/**
 * The payload decompressor to use on this machine. xz and zstd go through the system's `xz` /
 * `zstd` when installed, bzip2 always through `bzip2` (Node has no maintained bzip2 decoder): lzma-native's bundled liblzma decodes rpm payloads at about half the
 * speed of the distribution's (measured: 32 vs 61 MB/s of output on a 276 MB payload), fzstd (pure
 * JS) at a fraction of zstd's, and a child process also puts decoding on another core while the
 * main thread parses and writes. gzip stays on node:zlib (already native and off-thread), and
 * without the binaries — or with STRATA_DECOMPRESS=builtin — the in-process decoders of
 * formats/rpm/payload.ts are used.
 */
import { spawn, spawnSync } from "node:child_process"
import { closeSync, openSync, readSync } from "node:fs"
import { Duplex, PassThrough, type Readable, type Transform } from "node:stream"
import { decompressor } from "../../formats/rpm/payload.js"
import { corrupt, unsupported } from "../../formats/rpm/error.js"

const binaries = new Map<string, string | null>()

const findBinary = (name: "xz" | "zstd" | "bzip2"): string | null => {
  const known = binaries.get(name)
  if (known !== undefined) return known
  const r = process.env["STRATA_DECOMPRESS"] === "builtin" ? undefined : spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" })
  const found = r && r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null
  binaries.set(name, found)
  return found
}

const childDecoder = (bin: string, name: string, extra: ReadonlyArray<string> = []): Duplex => {
  const child = spawn(bin, ["--decompress", "--stdout", "--quiet", "--quiet", ...extra], { stdio: ["pipe", "pipe", "pipe"] })
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  // The decoder's output is drained into a large buffer as fast as it comes: read through the
  // stream stack alone, the pipe was read only while that stack's 16 KiB buffers had room, and
  // xz spent a quarter of an unpack blocked on a full pipe (5.9 s wall for 4.2 s of CPU).
  const out = new PassThrough({ highWaterMark: 8 << 20 })
  child.stdout.pipe(out)
  const duplex = Duplex.from({ writable: child.stdin, readable: out })
  child.on("close", (code) => {
    if (code !== 0 && code !== null) duplex.destroy(corrupt("payload", `${name}: ${stderr.trim() || `exit status ${code}`}`))
  })
  child.stdin.on("error", () => undefined) // EPIPE when the decoder stops early: its exit status says why
  duplex.on("close", () => child.kill())
  return duplex
}

export interface DecompressOptions {
  /**
   * The caller hashes every compressed byte against a digest it trusts (rpm's PAYLOADSHA256,
   * covered by the header digest) and rejects the result on a mismatch. xz's own integrity check
   * (a SHA-256 of the *decompressed* stream in rpm's payloads, computed without the CPU's SHA
   * instructions) then adds nothing: xz skips it, 12% of its CPU on a 263 MB payload (4.4 → 3.9 s).
   */
  readonly inputVerified?: boolean
}

export const payloadDecompressor = (compressor: string | undefined, opts: DecompressOptions = {}): Transform | Duplex => {
  if (compressor === "xz" || compressor === "lzma") {
    const bin = findBinary("xz")
    if (bin) return childDecoder(bin, "xz", opts.inputVerified ? ["--ignore-check"] : [])
  }
  if (compressor === "zstd") {
    const bin = findBinary("zstd")
    if (bin) return childDecoder(bin, "zstd")
  }
  if (compressor === "bzip2") {
    // no maintained streaming bzip2 decoder exists for Node: the system's bzip2 is the only one
    const bin = process.env["STRATA_DECOMPRESS"] === "builtin" ? null : findBinary("bzip2")
    if (bin) return childDecoder(bin, "bzip2")
    throw unsupported("payload", "bzip2 payloads need the bzip2 program (apt-get install bzip2)")
  }
  return decompressor(compressor)
}

/**
 * A decoder process that reads the payload straight from the package file (its stdin is the file,
 * positioned at `offset`) instead of from a pipe the main thread fills: while the main thread was
 * busy creating files, a 64 KiB stdin pipe ran dry and the decoder — the critical path for xz —
 * stalled. The caller reads the same bytes separately to hash them. Undefined when the
 * compressor has no program here (then use payloadDecompressor).
 */
export const fileFedDecoder = (compressor: string | undefined, file: { path: string; offset: number }, opts: DecompressOptions = {}): Readable | undefined => {
  const name = compressor === "lzma" ? "xz" : compressor
  if (name !== "xz" && name !== "zstd" && name !== "bzip2") return undefined
  const bin = findBinary(name)
  if (!bin) return undefined
  const fd = openSync(file.path, "r")
  try {
    // position the descriptor the child inherits (Node has no lseek): read up to the payload
    const skip = Buffer.allocUnsafe(Math.min(file.offset, 1 << 20) || 1)
    for (let left = file.offset; left > 0;) {
      const n = readSync(fd, skip, 0, Math.min(left, skip.length), null)
      if (n === 0) throw corrupt("payload", "truncated package: no payload")
      left -= n
    }
    const extra = name === "xz" && opts.inputVerified ? ["--ignore-check"] : []
    const child = spawn(bin, ["--decompress", "--stdout", "--quiet", "--quiet", ...extra], { stdio: [fd, "pipe", "pipe"] })
    let stderr = ""
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const out = new PassThrough({ highWaterMark: 8 << 20 }) // drained as fast as it comes (see childDecoder)
    child.stdout!.pipe(out)
    child.on("close", (code) => {
      if (code !== 0 && code !== null) out.destroy(corrupt("payload", `${name}: ${stderr.trim() || `exit status ${code}`}`))
    })
    child.on("error", (e) => out.destroy(e))
    out.on("close", () => child.kill())
    return out
  } finally {
    closeSync(fd) // the child has its own copy
  }
}
