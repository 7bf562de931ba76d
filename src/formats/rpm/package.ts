/**
 * The front of an RPM file — lead, signature header (padded to 8 bytes), main header — parsed
 * from a byte prefix. Everything after `payloadOffset` is the compressed cpio payload, which is
 * streamed separately (payload.ts, cpio.ts) and never held in memory.
 */
import { corrupt } from "./error.js"
import { headerLength, parseHeader, type Header } from "./header.js"
import { LEAD_SIZE, parseLead, type Lead } from "./lead.js"
import { HEADERIMMUTABLE, HEADERSIGNATURES } from "./tags.js"

export interface PackageFront {
  readonly lead: Lead
  readonly signature: Header
  readonly header: Header
  /** Offset of the main header's magic in the file. */
  readonly headerOffset: number
  /** Offset of the first payload byte in the file. */
  readonly payloadOffset: number
}

/**
 * How many bytes of the file `parsePackageFront` needs, given the bytes read so far; grows as
 * more is known (lead → signature header size → main header size). Read until it stops growing.
 */
export const packageFrontLength = (prefix: Uint8Array): number => {
  const sigLen = headerLength(prefix, { offset: LEAD_SIZE })
  if (sigLen === undefined) return LEAD_SIZE + 16
  const headerOffset = LEAD_SIZE + sigLen + ((8 - (sigLen % 8)) % 8)
  const hdrLen = headerLength(prefix, { offset: headerOffset })
  return hdrLen === undefined ? headerOffset + 16 : headerOffset + hdrLen
}

export const parsePackageFront = (bytes: Uint8Array): PackageFront => {
  const lead = parseLead(bytes)
  const { header: signature, end: sigEnd } = parseHeader(bytes, { offset: LEAD_SIZE, regionTag: HEADERSIGNATURES })
  const pad = (8 - ((sigEnd - LEAD_SIZE) % 8)) % 8
  const headerOffset = sigEnd + pad
  if (bytes.length < headerOffset) throw corrupt("signature header", "truncated padding")
  const { header, end } = parseHeader(bytes, { offset: headerOffset, regionTag: HEADERIMMUTABLE })
  if (!header.region) throw corrupt("header", "no immutable region (legacy headers are not accepted)")
  return { lead, signature, header, headerOffset, payloadOffset: end }
}
