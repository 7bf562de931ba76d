/**
 * `ostree.sizes` commit metadata (`aay`): per object, 32 checksum bytes, varint archived size,
 * varint unpacked size, and an optional object-type byte (absent = file). Varints are LEB128.
 * (ostree-repo-commit.c add_size_index_to_metadata, ostree-core.c read_sizes_entry)
 */
import { fromBytes, toBytes, type Checksum } from "./checksum.js"
import { invalid } from "./error.js"
import { objectTypeCode, objectTypeOfCode, type ObjectType } from "./object-type.js"

export interface SizeEntry {
  readonly checksum: Checksum
  readonly archived: bigint
  readonly unpacked: bigint
  readonly type: ObjectType
}

const writeVarint = (out: number[], v: bigint): void => {
  do {
    let b = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) b |= 0x80
    out.push(b)
  } while (v > 0n)
}

const readVarint = (b: Uint8Array, pos: number): [bigint, number] => {
  let v = 0n
  let shift = 0n
  for (let i = pos; i < b.length && i < pos + 10; i++) {
    v |= BigInt(b[i]! & 0x7f) << shift
    if ((b[i]! & 0x80) === 0) return [v, i + 1]
    shift += 7n
  }
  throw invalid("ostree.sizes", "truncated varint")
}

export const encodeSizeEntry = (e: SizeEntry): Uint8Array => {
  const tail: number[] = []
  writeVarint(tail, e.archived)
  writeVarint(tail, e.unpacked)
  if (e.type !== "file") tail.push(objectTypeCode[e.type])
  const out = new Uint8Array(32 + tail.length)
  out.set(toBytes(e.checksum))
  out.set(tail, 32)
  return out
}

export const decodeSizeEntry = (b: Uint8Array): SizeEntry => {
  if (b.length < 34) throw invalid("ostree.sizes", "entry too short")
  const checksum = fromBytes(b.subarray(0, 32))
  const [archived, p1] = readVarint(b, 32)
  const [unpacked, p2] = readVarint(b, p1)
  let type: ObjectType = "file"
  if (p2 < b.length) {
    const t = objectTypeOfCode(b[p2]!)
    if (!t) throw invalid("ostree.sizes", `unknown object type ${b[p2]}`)
    type = t
  }
  return { checksum, archived, unpacked, type }
}

/** Entries sorted by checksum, as ostree writes them. */
export const encodeSizes = (entries: ReadonlyArray<SizeEntry>): Uint8Array[] =>
  [...entries].sort((a, b) => (a.checksum < b.checksum ? -1 : a.checksum > b.checksum ? 1 : 0)).map(encodeSizeEntry)
