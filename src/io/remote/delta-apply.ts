/**
 * Opening and executing one static delta part (ostree-repo-static-delta-processing.c;
 * FORMATS.md §5). A part file is a compression byte (0 none, 'x' xz) and the payload
 * `(a(uuu)aa(ayay)ayay)`; its opcodes produce the part's objects in order:
 *   S  open-splice-and-close: metadata (len, off) or content (mode, xattrs, size, off)
 *   o  open content (mode, xattrs, size) · w write (size, off) · c close
 *   r  set read source (off of a 32-byte checksum: a content object already here) · R unset
 *   B  bspatch (off, len) against the read source
 * Every object produced is checked against the checksum the part header names for it, so a
 * delta can only ever write the objects it claims.
 */
import { createHash } from "node:crypto"
import lzma from "lzma-native"
import {
  fileHeaderBytes, fromBytes, isSymlink, OP, parsePartPayload, readVarint, S_IFLNK, S_IFMT,
  type Checksum, type FileMeta, type ObjectType, type PartHeader, type PartPayload,
} from "../../formats/ostree/index.js"
import { readContentObjectSync } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { bspatch } from "./bspatch.js"
import { RemoteError } from "./error.js"

const corrupt = (detail: string): RemoteError => new RemoteError({ op: "static delta", reason: "Corrupt", detail })

/** Checks the part's SHA-256 (unless inline) and decompresses it. */
export const openPart = async (bytes: Uint8Array, expected: Checksum | undefined): Promise<PartPayload> => {
  if (expected !== undefined) {
    const actual = createHash("sha256").update(bytes).digest("hex")
    if (actual !== expected) throw corrupt(`Checksum mismatch in static delta part; expected=${expected} actual=${actual}`)
  }
  if (bytes.length < 1) throw corrupt("empty delta part")
  let payload: Uint8Array
  if (bytes[0] === 0) payload = bytes.subarray(1)
  else if (bytes[0] === 0x78) {
    try {
      payload = await new Promise<Buffer>((resolve, reject) =>
        lzma.decompress(Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.length - 1), {}, (out: Buffer, err?: Error) => (err ? reject(err) : resolve(out))),
      )
    } catch (e) {
      throw corrupt(`cannot decompress delta part: ${(e as Error).message}`)
    }
  } else throw corrupt(`Invalid compression type '${bytes[0]}'`)
  try {
    return parsePartPayload(payload)
  } catch (e) {
    throw corrupt((e as Error).message)
  }
}

export interface PartSink {
  readonly metadata: (type: ObjectType, csum: Checksum, bytes: Uint8Array) => Promise<void>
  readonly content: (csum: Checksum, meta: FileMeta, data: Buffer) => Promise<void>
}

/** Runs the opcodes of `part`, handing each verified object to `sink`. */
export const executePart = async (opts: { repo: Repo; header: PartHeader; part: PartPayload; sink: PartSink }): Promise<void> => {
  const { header, part, sink, repo } = opts
  const { ops, raw } = part
  let pos = 0
  let index = 0
  let target: { type: ObjectType; csum: Checksum } | undefined
  let content: { meta: FileMeta; size: number; chunks: Buffer[] } | undefined
  let source: Buffer | undefined
  const varint = (): number => {
    const [v, next] = readVarint(ops, pos)
    pos = next
    return v
  }
  const slice = (off: number, len: number): Buffer => {
    if (off + len > raw.length) throw corrupt(`Invalid offset/length ${off}/${len}`)
    return Buffer.from(raw.buffer, raw.byteOffset + off, len)
  }
  const openTarget = (): { type: ObjectType; csum: Checksum } => {
    const o = header.objects[index]
    if (!o) throw corrupt("delta part writes more objects than its header lists")
    target = { type: o.type, csum: o.checksum }
    return target
  }
  const contentMeta = (): FileMeta => {
    const m = part.modes[varint()]
    const x = part.xattrs[varint()]
    if (!m || !x) throw corrupt("delta part names a mode or xattr entry it does not have")
    return { uid: m[0], gid: m[1], mode: m[2], symlinkTarget: "", xattrs: x }
  }
  const emitContent = async (csum: Checksum, meta: FileMeta, data: Buffer): Promise<void> => {
    const h = createHash("sha256").update(fileHeaderBytes(meta))
    if (!isSymlink(meta)) h.update(data)
    if (h.digest("hex") !== csum) throw corrupt(`delta produced content that does not match ${csum}.file`)
    await sink.content(csum, meta, data)
  }
  const close = async (): Promise<void> => {
    if (content && target) {
      const data = content.chunks.length === 1 ? content.chunks[0]! : Buffer.concat(content.chunks)
      if (data.length !== content.size) throw corrupt(`delta wrote ${data.length} bytes of ${target.csum}.file, expected ${content.size}`)
      await emitContent(target.csum, content.meta, data)
    }
    content = undefined
    target = undefined
    source = undefined
    index++
  }
  while (pos < ops.length) {
    const op = ops[pos++]
    switch (op) {
      case OP.spliceAndClose: {
        const t = openTarget()
        if (t.type !== "file") {
          const len = varint()
          const off = varint()
          const bytes = slice(off, len)
          if (createHash("sha256").update(bytes).digest("hex") !== t.csum) throw corrupt(`delta produced ${t.csum}.${t.type} with the wrong checksum`)
          await sink.metadata(t.type, t.csum, bytes)
        } else {
          const meta = contentMeta()
          const size = varint()
          const off = varint()
          const bytes = slice(off, size)
          if ((meta.mode & S_IFMT) === S_IFLNK) await emitContent(t.csum, { ...meta, symlinkTarget: bytes.toString("utf8") }, Buffer.alloc(0))
          else await emitContent(t.csum, meta, bytes)
        }
        target = undefined
        source = undefined
        index++
        break
      }
      case OP.open: {
        const t = openTarget()
        if (t.type !== "file") throw corrupt("opcode open on a metadata object")
        const meta = contentMeta()
        content = { meta, size: varint(), chunks: [] }
        break
      }
      case OP.write: {
        const size = varint()
        const off = varint()
        if (!content) throw corrupt("opcode write without open")
        if (source) {
          if (off + size > source.length) throw corrupt("opcode write reads past its source object")
          content.chunks.push(source.subarray(off, off + size))
        } else content.chunks.push(slice(off, size))
        break
      }
      case OP.setReadSource: {
        const off = varint()
        const csum = fromBytes(slice(off, 32))
        try {
          source = Buffer.from(readContentObjectSync(repo, csum, true).data)
        } catch (e) {
          throw corrupt(`delta read source ${csum} is not usable here: ${(e as Error).message}`)
        }
        break
      }
      case OP.unsetReadSource:
        source = undefined
        break
      case OP.bspatch: {
        const off = varint()
        const len = varint()
        if (!content || !source) throw corrupt("opcode bspatch without open and read source")
        content.chunks.push(bspatch(source, content.size, slice(off, len)))
        break
      }
      case OP.close:
        await close()
        break
      default:
        throw corrupt(`Unknown opcode ${op} at offset ${pos - 1}`)
    }
  }
  if (index !== header.objects.length) throw corrupt(`delta part produced ${index} of its ${header.objects.length} objects`)
}
