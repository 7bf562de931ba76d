/**
 * The 96-byte lead that opens every RPM file. rpm ignores most of it today (the headers are the
 * truth) but still checks the magic, the format major version and the signature type.
 */
import { corrupt, unsupported } from "./error.js"

export const LEAD_SIZE = 96
const MAGIC = [0xed, 0xab, 0xee, 0xdb]
/** The only signature type rpm accepts: a signature header follows the lead. */
const SIGTYPE_HEADERSIG = 5

export interface Lead {
  readonly major: number
  readonly minor: number
  /** 0 binary, 1 source. */
  readonly type: number
  readonly archnum: number
  /** NEVR-ish name, truncated to 65 bytes by rpmbuild; informational only. */
  readonly name: string
  readonly osnum: number
  readonly signatureType: number
}

export const parseLead = (bytes: Uint8Array): Lead => {
  if (bytes.length < LEAD_SIZE) throw corrupt("lead", `truncated: ${bytes.length} of ${LEAD_SIZE} bytes`)
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw corrupt("lead", "not an RPM file (bad magic)")
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, LEAD_SIZE)
  const lead: Lead = {
    major: b[4]!,
    minor: b[5]!,
    type: b.readUInt16BE(6),
    archnum: b.readUInt16BE(8),
    name: b.toString("latin1", 10, 76).replace(/\0.*$/s, ""),
    osnum: b.readUInt16BE(76),
    signatureType: b.readUInt16BE(78),
  }
  if (lead.major < 3 || lead.major > 4) throw unsupported("lead", `RPM format version ${lead.major} is not supported`)
  if (lead.signatureType !== SIGTYPE_HEADERSIG) throw unsupported("lead", `signature type ${lead.signatureType} is not supported`)
  return lead
}

/** A lead as rpmbuild writes it (v3.0, header-style signature). */
export const serializeLead = ({ name, type = 0, archnum = 1, osnum = 1 }: { name: string; type?: number; archnum?: number; osnum?: number }): Buffer => {
  const b = Buffer.alloc(LEAD_SIZE)
  MAGIC.forEach((m, i) => (b[i] = m))
  b[4] = 3
  b[5] = 0
  b.writeUInt16BE(type, 6)
  b.writeUInt16BE(archnum, 8)
  b.write(name.slice(0, 65), 10, "latin1")
  b.writeUInt16BE(osnum, 76)
  b.writeUInt16BE(SIGTYPE_HEADERSIG, 78)
  return b
}
