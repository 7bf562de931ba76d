/**
 * Byte encoding of stored records: plain MessagePack via msgpackr, without shared `structures`
 * (records are self-describing, so any MessagePack reader can audit the log and no side table
 * must survive with it). bigint beyond 64 bits uses msgpackr's bigint extension; Uint8Array
 * comes back as a Buffer (a Uint8Array subclass).
 */
import { createHash } from "node:crypto"
import { Packr } from "msgpackr"

const packr = new Packr({ useRecords: false, useBigIntExtension: true })

export const encodeRecord = (value: unknown): Uint8Array => packr.pack(value)

export const decodeRecord = (bytes: Uint8Array): unknown => packr.unpack(bytes)

/** SHA-256 of stored bytes, lowercase hex: what `prev` and the head record hold. */
export const sha256hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")
