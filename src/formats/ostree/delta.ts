/**
 * Static delta formats (ostree-repo-static-delta-private.h, -core.c, ostree-varint.c;
 * FORMATS.md §5): the superblock, part headers, fallbacks, part payloads, the opcode varints,
 * and the paths under `deltas/` and `delta-indexes/`. Pure codecs.
 *
 * Part header and fallback integers are in the superblock's declared byte order
 * (`ostree.endianness`, 'l' or 'B'); strata writes little-endian, as ostree does on x86.
 */
import { lookup, parse, serialize, bswap32, bswap64, variant, type VarDict } from "../gvariant/index.js"
import { COMMIT_TYPE } from "./commit.js"
import { fromBytes, toBytes, type Checksum } from "./checksum.js"
import { invalid } from "./error.js"
import { objectTypeCode, objectTypeOfCode, type ObjectType } from "./object-type.js"

export const SUPERBLOCK_TYPE = `(a{sv}tayay${COMMIT_TYPE}aya(uayttay)a(yaytt))`
export const PART_PAYLOAD_TYPE = "(a(uuu)aa(ayay)ayay)"
export const SIGNED_SUPERBLOCK_TYPE = "(taya{sv})"
export const SIGNED_MAGIC = 0x4f535453474e4454n // "OSTSGNDT"

export const OP = { spliceAndClose: 0x53, open: 0x6f, write: 0x77, setReadSource: 0x72, unsetReadSource: 0x52, close: 0x63, bspatch: 0x42 } as const

// ---- names and paths ---------------------------------------------------------------------

/** ostree_checksum_b64_from_bytes: base64 without padding, '/' → '_'. */
export const mb64 = (csum: Checksum): string => Buffer.from(toBytes(csum)).toString("base64").replace(/=+$/, "").replace(/\//g, "_")

export const mb64ToHex = (s: string): Checksum | undefined => {
  if (!/^[A-Za-z0-9+_]{43}$/.test(s)) return undefined
  return Buffer.from(s.replace(/_/g, "/") + "=", "base64").toString("hex")
}

/** `deltas/XX/REST[-TO]` for FROM→TO, or a from-scratch delta to TO. */
export const deltaDir = (from: Checksum | null, to: Checksum): string => {
  if (!from) {
    const t = mb64(to)
    return `deltas/${t.slice(0, 2)}/${t.slice(2)}`
  }
  const f = mb64(from)
  return `deltas/${f.slice(0, 2)}/${f.slice(2)}-${mb64(to)}`
}

export const deltaIndexPath = (to: Checksum): string => {
  const t = mb64(to)
  return `delta-indexes/${t.slice(0, 2)}/${t.slice(2)}.index`
}

/** "FROM-TO" or "TO" in hex, as the summary and delta indexes name deltas. */
export const deltaName = (from: Checksum | null, to: Checksum): string => (from ? `${from}-${to}` : to)

export const parseDeltaName = (name: string): { from: Checksum | null; to: Checksum } => {
  const m = /^(?:([0-9a-f]{64})-)?([0-9a-f]{64})$/.exec(name)
  if (!m) throw invalid("delta name", `"${name}" is not FROM-TO or TO`)
  return { from: m[1] ?? null, to: m[2]! }
}

// ---- varints (ostree-varint.c: protobuf-style little-endian base 128) -------------------

export const readVarint = (b: Uint8Array, pos: number): [value: number, next: number] => {
  let result = 0
  let mul = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) throw invalid("delta part", "unexpected end of opcode stream in a varint")
    const byte = b[pos++]!
    result += (byte & 0x7f) * mul
    if ((byte & 0x80) === 0) {
      if (!Number.isSafeInteger(result)) throw invalid("delta part", "varint out of range")
      return [result, pos]
    }
    mul *= 128
  }
  throw invalid("delta part", "varint longer than 10 bytes")
}

export const writeVarint = (out: number[], n: number): void => {
  let v = n
  do {
    let byte = v % 128
    v = Math.floor(v / 128)
    if (v > 0) byte |= 0x80
    out.push(byte)
  } while (v > 0)
}

// ---- superblock ----------------------------------------------------------------------------

export interface PartHeader {
  readonly version: number
  readonly checksum: Checksum
  readonly size: bigint
  readonly usize: bigint
  readonly objects: ReadonlyArray<{ readonly type: ObjectType; readonly checksum: Checksum }>
}

export interface Fallback {
  readonly type: ObjectType
  readonly checksum: Checksum
  readonly size: bigint
  readonly usize: bigint
}

export interface Superblock {
  readonly metadata: VarDict
  /** Generation time, seconds. */
  readonly timestamp: bigint
  readonly from: Checksum | null
  readonly to: Checksum
  /** The target commit object's bytes. */
  readonly commit: Uint8Array
  readonly parts: ReadonlyArray<PartHeader>
  readonly fallbacks: ReadonlyArray<Fallback>
  readonly bigEndian: boolean
}

export const parseObjectList = (b: Uint8Array): PartHeader["objects"] => {
  if (b.length % 33 !== 0) throw invalid("delta part header", "object list is not a multiple of 33 bytes")
  const out = []
  for (let i = 0; i < b.length; i += 33) {
    const type = objectTypeOfCode(b[i]!)
    if (!type) throw invalid("delta part header", `unknown object type ${b[i]}`)
    out.push({ type, checksum: fromBytes(b.subarray(i + 1, i + 33)) })
  }
  return out
}

export const serializeObjectList = (objs: PartHeader["objects"]): Uint8Array => {
  const out = Buffer.alloc(objs.length * 33)
  objs.forEach((o, i) => {
    out[i * 33] = objectTypeCode[o.type]
    Buffer.from(toBytes(o.checksum)).copy(out, i * 33 + 1)
  })
  return out
}

type RawSuperblock = [VarDict, bigint, Uint8Array, Uint8Array, unknown[], Uint8Array, Array<[number, Uint8Array, bigint, bigint, Uint8Array]>, Array<[number, Uint8Array, bigint, bigint]>]

/** _ostree_delta_get_endianness: the declared order, else ostree's size heuristic. */
const declaredBigEndian = (raw: RawSuperblock): boolean => {
  const e = lookup(raw[0], "ostree.endianness")
  if (e?.type === "y") {
    if (e.value === 0x6c) return false
    if (e.value === 0x42) return true
    throw invalid("delta superblock", "invalid ostree.endianness")
  }
  let total = 0n
  for (const [, , size, usize] of raw[6]) {
    if (size > usize && Number(size) / Number(usize) > 1.2) return true
    total += size
  }
  return raw[6].length > 0 && total / BigInt(raw[6].length) > 0xffffffffn
}

export const parseSuperblock = (bytes: Uint8Array): Superblock => {
  let raw: RawSuperblock
  try {
    raw = parse(SUPERBLOCK_TYPE, bytes) as RawSuperblock
  } catch (e) {
    throw invalid("delta superblock", (e as Error).message)
  }
  const be = declaredBigEndian(raw)
  const u32 = (n: number): number => (be ? bswap32(n) : n)
  const u64 = (n: bigint): bigint => (be ? bswap64(n) : n)
  return {
    metadata: raw[0],
    timestamp: bswap64(raw[1]),
    from: raw[2].length ? fromBytes(raw[2], "delta from") : null,
    to: fromBytes(raw[3], "delta to"),
    commit: serialize(COMMIT_TYPE, raw[4]),
    parts: raw[6].map(([v, c, s, us, objs]) => ({ version: u32(v), checksum: fromBytes(c, "delta part checksum"), size: u64(s), usize: u64(us), objects: parseObjectList(objs) })),
    fallbacks: raw[7].map(([t, c, s, us]) => {
      const type = objectTypeOfCode(t)
      if (!type) throw invalid("delta superblock", `fallback has unknown object type ${t}`)
      return { type, checksum: fromBytes(c, "delta fallback checksum"), size: u64(s), usize: u64(us) }
    }),
    bigEndian: be,
  }
}

/** Serialises a little-endian superblock; `commit` must be the commit object's bytes. */
export const serializeSuperblock = (s: Omit<Superblock, "bigEndian">): Uint8Array =>
  serialize(SUPERBLOCK_TYPE, [
    s.metadata,
    bswap64(s.timestamp),
    s.from ? toBytes(s.from) : new Uint8Array(0),
    toBytes(s.to),
    parse(COMMIT_TYPE, s.commit),
    new Uint8Array(0),
    s.parts.map((p) => [p.version, toBytes(p.checksum), p.size, p.usize, serializeObjectList(p.objects)]),
    s.fallbacks.map((f) => [objectTypeCode[f.type], toBytes(f.checksum), f.size, f.usize]),
  ])

/** A signed superblock `(taya{sv})` starts with the magic, stored big-endian. */
export const unwrapSignedSuperblock = (bytes: Uint8Array): { superblock: Uint8Array; signatures?: VarDict } => {
  if (bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).readBigUInt64BE(0) === SIGNED_MAGIC) {
    const [, sb, sigs] = parse(SIGNED_SUPERBLOCK_TYPE, bytes) as [bigint, Uint8Array, VarDict]
    return { superblock: sb, signatures: sigs }
  }
  return { superblock: bytes }
}

// ---- parts -----------------------------------------------------------------------------------

export interface PartPayload {
  /** (uid, gid, mode), big-endian in the file; here host values. */
  readonly modes: ReadonlyArray<readonly [number, number, number]>
  readonly xattrs: ReadonlyArray<ReadonlyArray<readonly [Uint8Array, Uint8Array]>>
  readonly raw: Uint8Array
  readonly ops: Uint8Array
}

export const parsePartPayload = (bytes: Uint8Array): PartPayload => {
  let v: [Array<[number, number, number]>, Array<Array<[Uint8Array, Uint8Array]>>, Uint8Array, Uint8Array]
  try {
    v = parse(PART_PAYLOAD_TYPE, bytes) as typeof v
  } catch (e) {
    throw invalid("delta part", (e as Error).message)
  }
  return { modes: v[0].map(([u, g, m]) => [bswap32(u), bswap32(g), bswap32(m)] as const), xattrs: v[1], raw: v[2], ops: v[3] }
}

export const serializePartPayload = (p: PartPayload): Uint8Array =>
  serialize(PART_PAYLOAD_TYPE, [p.modes.map(([u, g, m]) => [bswap32(u), bswap32(g), bswap32(m)]), p.xattrs, p.raw, p.ops])

/** Delta index `a{sv}`: `ostree.static-deltas` → name → v(ay superblock SHA-256). */
export const parseDeltaIndex = (bytes: Uint8Array): Map<string, Uint8Array> => {
  let d: VarDict
  try {
    d = parse("a{sv}", bytes) as VarDict
  } catch (e) {
    throw invalid("delta index", (e as Error).message)
  }
  return deltaMap(d)
}

/** The `ostree.static-deltas` map of a summary's or index's metadata. */
export const deltaMap = (meta: VarDict): Map<string, Uint8Array> => {
  const out = new Map<string, Uint8Array>()
  const v = lookup(meta, "ostree.static-deltas")
  if (v?.type !== "a{sv}") return out
  for (const [name, val] of v.value as VarDict) if (val.type === "ay" && (val.value as Uint8Array).length === 32) out.set(name, val.value as Uint8Array)
  return out
}

export const deltaIndexBytes = (entries: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array =>
  serialize("a{sv}", [["ostree.static-deltas", variant("a{sv}", entries.map(([n, d]) => [n, variant("ay", d)]))]])
