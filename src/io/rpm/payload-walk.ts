/**
 * One streaming pass over a package's payload: the file is read from the main header on, the
 * compressed bytes are hashed (payload digest, legacy MD5 and size), decompressed under bomb
 * limits, split into cpio entries, matched to the header's file list, and each regular file's
 * content is hashed against its header digest. A visitor sees each entry and its data as it
 * streams; nothing larger than one read chunk is held in memory.
 */
import { createReadStream, statSync } from "node:fs"
import { createHash, type Hash } from "node:crypto"
import { Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import { CpioParser, type CpioEntry } from "../../formats/rpm/cpio.js"
import { corrupt } from "../../formats/rpm/error.js"
import { fileDigestAlgo, files as headerFiles, FILE, hardlinkSets, isLink, isReg, type RpmFile } from "../../formats/rpm/files.js"
import { string } from "../../formats/rpm/header.js"
import { BombGuard, type BombLimits } from "../../formats/rpm/payload.js"
import { fileFedDecoder, payloadDecompressor } from "./decompress.js"
import { payloadExpectations, type DigestCheck } from "../../formats/rpm/signature.js"
import { T } from "../../formats/rpm/tags.js"
import type { PackageFile } from "./read.js"

export interface PayloadVisitor {
  /** A payload entry mapped to its header file. `hasData`: the entry carries the content. */
  readonly entry?: (file: RpmFile, info: { readonly cpio: CpioEntry; readonly hasData: boolean }) => void
  /** Content bytes of the current entry, in order. */
  readonly data?: (bytes: Buffer) => void
  /** The current entry's content is complete. */
  readonly entryEnd?: (file: RpmFile) => void
}

export interface WalkOptions {
  readonly pkg: PackageFile
  readonly visitor?: PayloadVisitor
  readonly limits?: BombLimits
  /** Hash each regular file's content against FILEDIGESTS (default true). */
  readonly fileDigests?: boolean
  /** Also check the legacy MD5 over header + payload (default true). */
  readonly md5?: boolean
  /** Also check PAYLOADSHA256ALT over the uncompressed payload (default true). */
  readonly altDigest?: boolean
  /** The header's file list and hardlink sets when the caller already has them (54k files: ~0.1 s each). */
  readonly files?: { readonly list: ReadonlyArray<RpmFile>; readonly links: ReadonlyMap<number, ReadonlyArray<number>> }
}

export interface WalkResult {
  readonly files: ReadonlyArray<RpmFile>
  /** Payload digest, MD5 and size checks (only those the package carries). */
  readonly digests: ReadonlyArray<DigestCheck>
  readonly compressedBytes: number
  readonly payloadBytes: number
}

const fstatSize = (path: string): number => statSync(path).size

/** Estimated cpio size from the header, used to cap decompression when no size is declared. */
const estimateArchive = (list: ReadonlyArray<RpmFile>): number =>
  list.reduce((n, f) => n + 110 + f.path.length + 8 + (f.flags & FILE.GHOST ? 0 : f.size) + 4, 0) + 1024

export const walkPayload = async ({ pkg, visitor = {}, limits, fileDigests = true, md5: checkMd5 = true, altDigest = true, files }: WalkOptions): Promise<WalkResult> => {
  const list = files?.list ?? headerFiles(pkg.header)
  const links = files?.links ?? hardlinkSets(list)
  const byPath = new Map<string, RpmFile>()
  for (const f of list) byPath.set(f.path, f)
  const large = pkg.header.byTag.has(T.LONGFILESIZES)
  const expect = payloadExpectations(pkg)
  const algo = fileDigests ? fileDigestAlgo(pkg.header) : ""
  const guard = new BombGuard(expect.payloadSize ?? estimateArchive(list), limits)

  const payloadHash = expect.payloadDigest ? createHash(expect.payloadDigest.algo) : undefined
  const altHash = expect.payloadDigestAlt && altDigest ? createHash(expect.payloadDigestAlt.algo) : undefined
  const md5 = expect.md5 && checkMd5 ? createHash("md5") : undefined
  let headerLeft = pkg.payloadOffset - pkg.headerOffset
  let total = 0
  let compressed = 0
  /** Hashes (and counts) one chunk of the file from the main header on; returns its payload part. */
  const take = (chunk: Buffer): Buffer | undefined => {
    total += chunk.length
    md5?.update(chunk)
    let c = chunk
    if (headerLeft > 0) {
      const n = Math.min(headerLeft, c.length)
      headerLeft -= n
      c = c.subarray(n)
    }
    if (c.length === 0) return undefined
    payloadHash?.update(c)
    compressed += c.length
    return c
  }
  const compressor = string(pkg.header, T.PAYLOADCOMPRESSOR)
  const decoderOpts = { inputVerified: payloadHash !== undefined }
  // xz, zstd and bzip2 read the payload from the file themselves, while this thread reads it
  // too for the digests; the bomb guard then counts the whole payload as input from the start
  // (the decoder cannot read more than that). gzip (node:zlib) is fed through a pipeline.
  const payloadSize = Math.max(0, fstatSize(pkg.path) - pkg.payloadOffset)
  const fileFed = fileFedDecoder(compressor, { path: pkg.path, offset: pkg.payloadOffset }, decoderOpts)
  if (fileFed) guard.input(payloadSize)
  const splitter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      const c = take(chunk)
      if (c) {
        guard.input(c.length)
        this.push(c)
      }
      cb()
    },
  })

  const found = new Set<number>()
  let current: RpmFile | undefined
  let left = 0
  let fileHash: Hash | undefined
  const parser = new CpioParser({
    sizeOf: (fx) => {
      const f = list[fx]
      if (!f) throw corrupt("cpio", `stripped entry for file index ${fx}, but the header lists ${list.length} files`)
      return payloadSizeOf(f)
    },
  })
  const payloadSizeOf = (f: RpmFile): number => {
    if (isLink(f.mode)) return Buffer.byteLength(f.linkto)
    if (!isReg(f.mode)) return 0
    const set = links.get(f.index)
    return set && set[set.length - 1] !== f.index ? 0 : f.size
  }
  const closeEntry = () => {
    if (!current) return
    if (fileHash) {
      const got = fileHash.digest("hex")
      if (got !== current.digest) throw corrupt("payload", `${current.path}: content digest ${got} does not match the header's ${current.digest}`)
      fileHash = undefined
    }
    visitor.entryEnd?.(current)
    current = undefined
  }

  // node's pipeline reports an AbortError when the consumer throws mid-iteration; keep ours
  let failure: unknown
  const consume = async (source: AsyncIterable<Buffer>) => {
    try {
      await consumeAll(source)
    } catch (e) {
      failure = e
      throw e
    }
  }
  const consumeAll = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      guard.output(chunk.length)
      altHash?.update(chunk)
      for (const ev of parser.push(chunk)) {
        if (ev.type === "data") {
          left -= ev.bytes.length
          fileHash?.update(ev.bytes)
          visitor.data?.(ev.bytes)
          if (left === 0) closeEntry()
        } else if (ev.type === "entry") {
          closeEntry()
          const e = ev.entry
          let f: RpmFile | undefined
          if (e.fx !== undefined) f = list[e.fx]
          else {
            // rpm writes "./usr/bin/x"; very old payloads used "usr/bin/x" or "/usr/bin/x"
            const name = e.name!.startsWith("./") ? e.name!.slice(1) : e.name!.startsWith("/") ? e.name! : "/" + e.name!
            f = byPath.get(name)
            if (!f) throw corrupt("payload", `archive entry "${e.name}" is not in the header's file list`)
          }
          if (!f) throw corrupt("payload", `archive entry for unknown file index ${e.fx}`)
          if (found.has(f.index)) throw corrupt("payload", `${f.path} appears twice in the archive`)
          if (f.flags & FILE.GHOST) throw corrupt("payload", `${f.path} is %ghost but has an archive entry`)
          found.add(f.index)
          const want = payloadSizeOf(f)
          if (e.size !== want) throw corrupt("payload", `${f.path}: archive entry has ${e.size} bytes, the header says ${want}`)
          if (!large && e.fx === undefined && (e.mode & 0o170000) !== (f.mode & 0o170000))
            throw corrupt("payload", `${f.path}: archive file type ${(e.mode >>> 12).toString(8)} differs from the header's`)
          current = f
          left = want
          // members of a hardlink set other than the last carry no data; the last one is checked
          const linked = links.has(f.index) && want === 0
          if (algo && isReg(f.mode) && f.digest && !linked) fileHash = createHash(algo)
          visitor.entry?.(f, { cpio: e, hasData: want > 0 })
          if (left === 0) closeEntry()
        }
      }
    }
    parser.finish()
  }

  const stream = createReadStream(pkg.path, { start: pkg.headerOffset, highWaterMark: 1024 * 1024 })
  try {
    if (fileFed) {
      const hashing = (async () => {
        for await (const c of stream) take(c as Buffer)
      })()
      hashing.catch(() => undefined) // awaited below; a consume failure must not leave it unhandled
      await pipeline(fileFed, consume)
      await hashing
    } else await pipeline(stream, splitter, payloadDecompressor(compressor, decoderOpts), consume)
  } catch (caught) {
    stream.destroy()
    const e = failure ?? caught
    // A payload that fails to decompress or parse is usually a damaged one: say so by its digest.
    if (expect.payloadDigest) {
      const h = createHash(expect.payloadDigest.algo)
      for await (const c of createReadStream(pkg.path, { start: pkg.payloadOffset, highWaterMark: 1024 * 1024 })) h.update(c as Buffer)
      const got = h.digest("hex")
      if (got !== expect.payloadDigest.hex.toLowerCase())
        throw corrupt("payload", `${expect.payloadDigest.algo.toUpperCase()} digest mismatch (expected ${expect.payloadDigest.hex}, got ${got})`)
    }
    throw e
  }

  for (const f of list) if (!found.has(f.index) && !(f.flags & FILE.GHOST)) throw corrupt("payload", `${f.path} is missing from the archive`)

  const digests: DigestCheck[] = []
  const chk = (name: string, expected: string, actual: string) => digests.push({ name, ok: expected.toLowerCase() === actual, expected, actual })
  if (expect.payloadDigest) chk(`payload ${expect.payloadDigest.algo.toUpperCase()}`, expect.payloadDigest.hex, payloadHash!.digest("hex"))
  if (expect.payloadDigestAlt && altHash) chk(`payload ${expect.payloadDigestAlt.algo.toUpperCase()} (uncompressed)`, expect.payloadDigestAlt.hex, altHash!.digest("hex"))
  if (expect.md5 && md5) chk("MD5", expect.md5, md5.digest("hex"))
  if (expect.size !== undefined) chk("size", String(expect.size), String(total))
  return { files: list, digests, compressedBytes: compressed, payloadBytes: guard.decompressed }
}
