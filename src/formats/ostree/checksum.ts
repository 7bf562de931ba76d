/** SHA-256 checksums as ostree names objects: 64 lowercase hex characters, or 32 raw bytes. */
import { createHash } from "node:crypto"
import { invalid } from "./error.js"

export type Checksum = string

const HEX64 = /^[0-9a-f]{64}$/

export const isChecksum = (s: string): boolean => HEX64.test(s)

export const toBytes = (csum: Checksum): Uint8Array => {
  if (!HEX64.test(csum)) throw invalid("checksum", `"${csum}" is not 64 lowercase hex characters`)
  return Buffer.from(csum, "hex")
}

export const fromBytes = (b: Uint8Array, what = "checksum"): Checksum => {
  if (b.length !== 32) throw invalid(what, `expected 32 bytes, got ${b.length}`)
  return Buffer.from(b.buffer, b.byteOffset, 32).toString("hex")
}

export const sha256 = (...parts: ReadonlyArray<Uint8Array>): Checksum => {
  const h = createHash("sha256")
  for (const p of parts) h.update(p)
  return h.digest("hex")
}
