/**
 * Key layout of the log's key-value store. One-byte prefixes keep the namespaces apart and
 * big-endian integers make byte order equal numeric order:
 *
 *   "e" + u64be(pos)                  → the event record (msgpack envelope)
 *   "s" + utf8(stream) + 0x00 + u64be(seq) → u64be(pos)   (stream index)
 *   "h"                               → msgpack {pos, hash} of the last event (head record)
 *
 * The head record is written in the same batch as the events it covers, so a log whose last
 * event is older than the head has lost its tail. Stream names may not contain NUL.
 */
export const EVENT = 0x65 // "e"
export const STREAM = 0x73 // "s"
export const HEAD_KEY: Uint8Array = Uint8Array.of(0x68) // "h"

// Positions are safe integers (< 2^53), so two 32-bit halves suffice and avoid BigInt, which
// showed up in append profiles.
const writeU64 = (b: Buffer, offset: number, n: number): void => {
  b.writeUInt32BE(Math.floor(n / 0x1_0000_0000), offset)
  b.writeUInt32BE(n >>> 0, offset + 4)
}

export const u64be = (n: number): Uint8Array => {
  const b = Buffer.allocUnsafe(8)
  writeU64(b, 0, n)
  return b
}

export const readU64be = (b: Uint8Array, offset = 0): number => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return v.getUint32(offset) * 0x1_0000_0000 + v.getUint32(offset + 4)
}

export const eventKey = (pos: number): Uint8Array => {
  const k = Buffer.allocUnsafe(9)
  k[0] = EVENT
  writeU64(k, 1, pos)
  return k
}

export const posOfEventKey = (key: Uint8Array): number => readU64be(key, 1)

/** All event keys: [eventKey(0), eventKey(2^53)) covers every valid position. */
export const eventRange = (from = 1, toExclusive = Number.MAX_SAFE_INTEGER): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: eventKey(from),
  lt: eventKey(toExclusive),
})

const streamPrefix = (stream: string): Uint8Array => {
  const name = Buffer.from(stream, "utf8")
  const k = new Uint8Array(1 + name.length + 1)
  k[0] = STREAM
  k.set(name, 1)
  k[k.length - 1] = 0
  return k
}

export const streamKey = (stream: string, seq: number): Uint8Array => streamKeys(stream)(seq)

/** Index keys of one stream; encodes the name once for a whole append. */
export const streamKeys = (stream: string): ((seq: number) => Uint8Array) => {
  const p = streamPrefix(stream)
  return (seq) => {
    const k = Buffer.allocUnsafe(p.length + 8)
    k.set(p)
    writeU64(k, p.length, seq)
    return k
  }
}

/** The index entries of one stream from `fromSeq` on. */
export const streamRange = (stream: string, fromSeq = 1): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: streamKey(stream, fromSeq),
  lt: streamKey(stream, Number.MAX_SAFE_INTEGER),
})

/** The whole stream index, every stream. */
export const allStreamsRange = (): { gte: Uint8Array; lt: Uint8Array } => ({ gte: Uint8Array.of(STREAM), lt: Uint8Array.of(STREAM + 1) })

/** Splits an index key back into stream and seq. */
export const parseStreamKey = (key: Uint8Array): { stream: string; seq: number } => ({
  stream: Buffer.from(key.subarray(1, key.length - 9)).toString("utf8"),
  seq: readU64be(key, key.length - 8),
})

/** Stream names are path-like ids ("system", "txn-01J…"): non-empty, no NUL, bounded. */
export const checkStreamName = (stream: string): string | undefined =>
  stream.length === 0 ? "stream name is empty" : stream.includes("\0") ? "stream name contains NUL" : Buffer.byteLength(stream) > 512 ? "stream name is longer than 512 bytes" : undefined
