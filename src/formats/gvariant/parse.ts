/**
 * GVariant deserialisation. Unlike GLib, which substitutes default values for malformed data,
 * this parser is strict: objects come from untrusted remotes, and a malformed one must be
 * refused, not silently read as something else.
 */
import { GVariantError } from "./error.js"
import { alignUp, parseType, type GType } from "./type.js"
import { variant } from "./value.js"

const decoder = new TextDecoder("utf-8", { fatal: true })

const bad = (t: GType, why: string): never => {
  throw new GVariantError({ reason: `invalid "${t.str}" data: ${why}` })
}

/** Width of framing offsets for a container of `size` bytes. */
const widthFor = (size: number): number => (size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffff ? 4 : 8)

const readOffset = (view: DataView, pos: number, w: number): number => {
  if (w === 1) return view.getUint8(pos)
  if (w === 2) return view.getUint16(pos, true)
  if (w === 4) return view.getUint32(pos, true)
  return Number(view.getBigUint64(pos, true))
}

interface Ctx {
  readonly bytes: Uint8Array
  readonly view: DataView
  readonly le: boolean
}

const readValue = (c: Ctx, t: GType, start: number, end: number): unknown => {
  const size = end - start
  switch (t.kind) {
    case "basic": {
      const code = t.code
      if (code === "s" || code === "o" || code === "g") {
        if (size === 0 || c.bytes[end - 1] !== 0) return bad(t, "string not NUL-terminated")
        const body = c.bytes.subarray(start, end - 1)
        if (body.includes(0)) return bad(t, "string contains NUL")
        try {
          return decoder.decode(body)
        } catch {
          return bad(t, "string is not valid UTF-8")
        }
      }
      if (size !== t.fixedSize) return bad(t, `expected ${t.fixedSize} bytes, got ${size}`)
      const v = c.view
      switch (code) {
        case "y": return v.getUint8(start)
        case "b": {
          const b = v.getUint8(start)
          if (b > 1) return bad(t, "boolean out of range")
          return b === 1
        }
        case "n": return v.getInt16(start, c.le)
        case "q": return v.getUint16(start, c.le)
        case "i": case "h": return v.getInt32(start, c.le)
        case "u": return v.getUint32(start, c.le)
        case "x": return v.getBigInt64(start, c.le)
        case "t": return v.getBigUint64(start, c.le)
        case "d": return v.getFloat64(start, c.le)
      }
      return bad(t, "unreachable")
    }
    case "variant": {
      const sep = c.bytes.lastIndexOf(0, end - 1)
      if (sep < start) return bad(t, "variant without type separator")
      const typeStr = String.fromCharCode(...c.bytes.subarray(sep + 1, end))
      let inner: GType
      try {
        inner = parseType(typeStr)
      } catch {
        return bad(t, `variant has invalid type "${typeStr}"`)
      }
      return variant(typeStr, readValue(c, inner, start, sep))
    }
    case "maybe": {
      if (size === 0) return null
      if (t.elem.fixedSize !== undefined) return readValue(c, t.elem, start, end)
      if (c.bytes[end - 1] !== 0) return bad(t, "maybe without trailing zero")
      return readValue(c, t.elem, start, end - 1)
    }
    case "array": {
      const e = t.elem
      if (e.kind === "basic" && e.code === "y") return new Uint8Array(c.bytes.subarray(start, end)) // a copy: never alias the caller's buffer
      if (size === 0) return []
      if (e.fixedSize !== undefined) {
        if (size % e.fixedSize !== 0) return bad(t, "size is not a multiple of the element size")
        const out: unknown[] = []
        for (let p = start; p < end; p += e.fixedSize) out.push(readValue(c, e, p, p + e.fixedSize))
        return out
      }
      const w = widthFor(size)
      const tableStart = start + readOffset(c.view, end - w, w)
      if (tableStart < start || tableStart > end - w || (end - tableStart) % w !== 0) return bad(t, "bad offset table")
      const n = (end - tableStart) / w
      const out: unknown[] = new Array(n)
      let prev = start
      for (let i = 0; i < n; i++) {
        const s = start + alignUp(prev - start, e.align)
        const eEnd = start + readOffset(c.view, tableStart + i * w, w)
        if (eEnd < s || eEnd > tableStart) return bad(t, "element offset out of range")
        out[i] = readValue(c, e, s, eEnd)
        prev = eEnd
      }
      return out
    }
    case "tuple": {
      if (t.fixedSize !== undefined) {
        if (size !== t.fixedSize) return bad(t, `expected ${t.fixedSize} bytes, got ${size}`)
        const out: unknown[] = []
        let off = 0
        for (const m of t.members) {
          off = alignUp(off, m.align)
          out.push(readValue(c, m, start + off, start + off + m.fixedSize!))
          off += m.fixedSize!
        }
        return out
      }
      const w = widthFor(size)
      let tableEnd = end // offsets are consumed from the very end, first member's last
      const out: unknown[] = []
      let off = 0
      const last = t.members.length - 1
      for (let i = 0; i <= last; i++) {
        const m = t.members[i]!
        off = alignUp(off, m.align)
        let mEnd: number
        if (m.fixedSize !== undefined) mEnd = off + m.fixedSize
        else if (i === last) mEnd = tableEnd - start
        else {
          tableEnd -= w
          if (tableEnd < start) return bad(t, "offset table overruns data")
          mEnd = readOffset(c.view, tableEnd, w)
        }
        if (mEnd < off || start + mEnd > tableEnd) return bad(t, "member offset out of range")
        out.push(readValue(c, m, start + off, start + mEnd))
        off = mEnd
      }
      return out
    }
  }
}

export interface ParseOptions {
  readonly littleEndian?: boolean
}

/** Parse `bytes` as GVariant type `type`. Throws GVariantError on malformed input. */
export const parse = (type: string | GType, bytes: Uint8Array, opts: ParseOptions = {}): unknown => {
  const t = typeof type === "string" ? parseType(type) : type
  const c: Ctx = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), le: opts.littleEndian ?? true }
  return readValue(c, t, 0, bytes.length)
}
