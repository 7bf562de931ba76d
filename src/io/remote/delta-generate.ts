/**
 * `static-delta generate` (ostree-repo-static-delta-compilation.c generate_delta_lowlatency;
 * FORMATS.md §5). The objects reachable from TO and not from FROM (none for a from-scratch
 * delta), minus the TO commit itself (the superblock carries it), packed into parts of at most
 * `maxChunkSize` bytes: metadata first, then regular files, then symlinks, each as one
 * open-splice-and-close opcode; files larger than `minFallbackSize` become fallbacks, fetched as
 * plain objects. Parts are xz-compressed. No rollsum/bsdiff: every object is shipped whole,
 * which every ostree can apply (bsdiff parts *are* applied on the pull side).
 *
 * Written like ostree: parts `deltas/…/N`, then the superblock (temp + rename) last, so a
 * half-written delta is never advertised; `--inline` puts the parts inside the superblock.
 */
import { createHash } from "node:crypto"
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import lzma from "lzma-native"
import { variant, type Variant } from "../../formats/gvariant/index.js"
import {
  deltaDir, isSymlink, serializePartPayload, serializeSuperblock, writeVarint, OP,
  type Checksum, type ObjectType, type PartHeader, type Fallback, type Xattrs,
} from "../../formats/ostree/index.js"
import { objectPath, readContentObject, readMetadataObject, loadCommit } from "../repo/object-read.js"
import type { Repo } from "../repo/repo.js"
import { emptyReachable, traverseCommit } from "../repo/traverse.js"
import { readDetachedBytes } from "./detached-meta.js"
import { RemoteError } from "./error.js"
import { reindexDeltas } from "./delta-index.js"
import { parse } from "../../formats/gvariant/index.js"

export interface GenerateOptions {
  /** null: from scratch. */
  readonly from: Checksum | null
  readonly to: Checksum
  readonly inline?: boolean
  /** Bytes; files above become fallbacks (ostree: 4 MB; 0 disables). */
  readonly minFallbackSize?: number
  /** Bytes of payload per part (ostree: 32 MB). */
  readonly maxChunkSize?: number
}

interface PartBuilder {
  objects: Array<{ type: ObjectType; checksum: Checksum }>
  modes: Array<readonly [number, number, number]>
  modeIndex: Map<string, number>
  xattrs: Xattrs[]
  xattrIndex: Map<string, number>
  chunks: Buffer[]
  rawSize: number
  ops: number[]
  usize: number
}

const newPart = (): PartBuilder => ({ objects: [], modes: [], modeIndex: new Map(), xattrs: [], xattrIndex: new Map(), chunks: [], rawSize: 0, ops: [], usize: 0 })

const xz = (b: Uint8Array): Promise<Buffer> =>
  new Promise((resolve, reject) => lzma.compress(Buffer.from(b), { preset: 6 }, (out, err) => (err ? reject(err) : resolve(out))))

const interned = <T>(list: T[], index: Map<string, number>, key: string, value: T): number => {
  const hit = index.get(key)
  if (hit !== undefined) return hit
  index.set(key, list.length)
  list.push(value)
  return list.length - 1
}

export interface GenerateResult {
  readonly dir: string
  readonly parts: number
  readonly fallbacks: number
  readonly objects: number
}

export const generateDelta = async (repo: Repo, opts: GenerateOptions): Promise<GenerateResult> => {
  const { from, to } = opts
  const minFallback = opts.minFallbackSize ?? 4_000_000
  const maxChunk = opts.maxChunkSize ?? 32_000_000
  const toBytes = await readMetadataObject(repo, "commit", to)
  const want = emptyReachable()
  await traverseCommit(repo, to, 0, want)
  const have = emptyReachable()
  if (from) await traverseCommit(repo, from, 0, have)
  const fresh = [...want.objects].filter((k) => !have.objects.has(k) && k !== `${to}.commit`)
  const metadata = fresh.filter((k) => !k.endsWith(".file"))
  const content = fresh.filter((k) => k.endsWith(".file")).map((k) => k.slice(0, 64))

  const parts: PartBuilder[] = [newPart()]
  const fallbacks: Fallback[] = []
  const room = (n: number): PartBuilder => {
    let p = parts[parts.length - 1]!
    if (p.objects.length > 0 && p.rawSize + p.ops.length + n > maxChunk) parts.push((p = newPart()))
    return p
  }
  const addRaw = (p: PartBuilder, b: Buffer): number => {
    const off = p.rawSize
    p.chunks.push(b)
    p.rawSize += b.length
    return off
  }
  for (const k of metadata) {
    const [csum, type] = [k.slice(0, 64), k.slice(65) as ObjectType]
    const b = Buffer.from(await readMetadataObject(repo, type, csum))
    const p = room(b.length)
    const off = addRaw(p, b)
    p.objects.push({ type, checksum: csum })
    p.ops.push(OP.spliceAndClose)
    writeVarint(p.ops, b.length)
    writeVarint(p.ops, off)
    p.usize += b.length
  }
  const symlinks: Checksum[] = []
  for (const phase of ["regular", "symlink"] as const) {
    for (const csum of phase === "regular" ? content : symlinks) {
      const obj = await readContentObject(repo, csum)
      if (phase === "regular" && isSymlink(obj.meta)) {
        symlinks.push(csum)
        continue
      }
      if (phase === "regular" && minFallback > 0 && obj.data.length > minFallback) {
        const stored = await stat(objectPath(repo, csum, "file")).then((s) => s.size, () => obj.data.length)
        fallbacks.push({ type: "file", checksum: csum, size: BigInt(stored), usize: BigInt(obj.data.length) })
        continue
      }
      const body = isSymlink(obj.meta) ? Buffer.from(obj.meta.symlinkTarget, "utf8") : obj.data
      const p = room(body.length)
      const m = obj.meta
      const modeIdx = interned(p.modes, p.modeIndex, `${m.uid}:${m.gid}:${m.mode}`, [m.uid, m.gid, m.mode] as const)
      const xKey = m.xattrs.map(([n, v]) => `${Buffer.from(n).toString("hex")}=${Buffer.from(v).toString("hex")}`).join(",")
      const xattrIdx = interned(p.xattrs, p.xattrIndex, xKey, m.xattrs)
      const off = addRaw(p, Buffer.from(body))
      p.objects.push({ type: "file", checksum: csum })
      p.ops.push(OP.spliceAndClose)
      for (const n of [modeIdx, xattrIdx, body.length, off]) writeVarint(p.ops, n)
      p.usize += isSymlink(obj.meta) ? 0 : body.length // ostree counts a symlink's size as 0
    }
  }

  const dir = deltaDir(from, to)
  const abs = join(repo.path, dir)
  await rm(abs, { recursive: true, force: true })
  await mkdir(abs, { recursive: true, mode: 0o775 })
  const headers: PartHeader[] = []
  const meta: Array<readonly [string, Variant]> = [["ostree.endianness", variant("y", 0x6c)]]
  const nonEmpty = parts.filter((p) => p.objects.length > 0)
  for (const [i, p] of nonEmpty.entries()) {
    const payload = serializePartPayload({ modes: p.modes, xattrs: p.xattrs, raw: Buffer.concat(p.chunks, p.rawSize), ops: Uint8Array.from(p.ops) })
    const file = Buffer.concat([Buffer.of(0x78), await xz(payload)])
    headers.push({ version: 0, checksum: createHash("sha256").update(file).digest("hex"), size: BigInt(file.length), usize: BigInt(p.usize), objects: p.objects })
    if (opts.inline) meta.push([`${dir}/${i}`, variant("(yay)", [0x78, file.subarray(1)])])
    else await writeFile(join(abs, String(i)), file, { mode: 0o644 })
  }
  const detached = await readDetachedBytes(repo, to)
  if (detached && detached.length > 0) meta.push([`${dir}/commitmeta`, variant("a{sv}", parse("a{sv}", detached))])
  const sb = serializeSuperblock({
    metadata: meta, timestamp: BigInt(Math.floor(Date.now() / 1000)), from, to, commit: toBytes, parts: headers, fallbacks,
  })
  const sbPath = join(abs, "superblock")
  try {
    await writeFile(`${sbPath}.tmp`, sb, { mode: 0o644 })
    await rename(`${sbPath}.tmp`, sbPath)
  } catch (e) {
    throw new RemoteError({ op: "static-delta generate", reason: "Io", path: sbPath, detail: (e as Error).message })
  }
  await reindexDeltas(repo, to)
  return { dir, parts: headers.length, fallbacks: fallbacks.length, objects: fresh.length }
}

/** ostree's default FROM: the parent of TO. */
export const defaultFrom = async (repo: Repo, to: Checksum): Promise<Checksum> => {
  const p = (await loadCommit(repo, to)).parent
  if (!p) throw new RemoteError({ op: "static-delta generate", reason: "Invalid", detail: `commit ${to} has no parent; use --empty for a from-scratch delta` })
  return p
}
