/**
 * GVariant serialisation in normal form: minimal framing-offset width, zero padding, offsets
 * little-endian. Normal form is what ostree hashes, so it is the only form we write.
 */
import { GVariantError } from "./error.js"
import { parseType, type GType } from "./type.js"
import { isVariant } from "./value.js"

const encoder = new TextEncoder()

/** A growable byte buffer whose positions are absolute; children are aligned against them. */
class Writer {
  buf: Uint8Array
  view: DataView
  pos = 0
  constructor(size = 256) {
    this.buf = new Uint8Array(size)
    this.view = new DataView(this.buf.buffer)
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }
  align(a: number): void {
    const pad = (a - (this.pos % a)) % a
    if (pad) {
      this.ensure(pad)
      this.buf.fill(0, this.pos, this.pos + pad)
      this.pos += pad
    }
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }
  u8(n: number): void {
    this.ensure(1)
    this.buf[this.pos++] = n
  }
  /** Framing offsets are always little-endian, width 1, 2, 4 or 8. */
  offset(n: number, w: number): void {
    this.ensure(w)
    if (w === 1) this.buf[this.pos] = n
    else if (w === 2) this.view.setUint16(this.pos, n, true)
    else if (w === 4) this.view.setUint32(this.pos, n, true)
    else this.view.setBigUint64(this.pos, BigInt(n), true)
    this.pos += w
  }
}

/** The smallest offset width W such that body + n·W still fits the range W can address. */
export const offsetWidth = (bodySize: number, n: number): number => {
  if (bodySize + n <= 0xff) return 1
  if (bodySize + 2 * n <= 0xffff) return 2
  if (bodySize + 4 * n <= 0xffffffff) return 4
  return 8
}

const fail = (t: GType, v: unknown): never => {
  throw new GVariantError({ reason: `value ${describe(v)} does not fit type "${t.str}"` })
}
const describe = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? `array(${v.length})` : v instanceof Uint8Array ? `bytes(${v.length})` : typeof v

const writeValue = (w: Writer, t: GType, v: unknown, le: boolean): void => {
  switch (t.kind) {
    case "basic": {
      const c = t.code
      if (c === "s" || c === "o" || c === "g") {
        if (typeof v !== "string") return fail(t, v)
        if (v.includes("\0")) throw new GVariantError({ reason: "string contains NUL" })
        w.bytes(encoder.encode(v))
        w.u8(0)
        return
      }
      w.align(t.align)
      w.ensure(t.fixedSize!)
      const p = w.pos
      switch (c) {
        case "y": if (typeof v !== "number") return fail(t, v); w.buf[p] = v; break
        case "b": if (typeof v !== "boolean") return fail(t, v); w.buf[p] = v ? 1 : 0; break
        case "n": if (typeof v !== "number") return fail(t, v); w.view.setInt16(p, v, le); break
        case "q": if (typeof v !== "number") return fail(t, v); w.view.setUint16(p, v, le); break
        case "i": case "h": if (typeof v !== "number") return fail(t, v); w.view.setInt32(p, v, le); break
        case "u": if (typeof v !== "number") return fail(t, v); w.view.setUint32(p, v, le); break
        case "x": if (typeof v !== "bigint") return fail(t, v); w.view.setBigInt64(p, v, le); break
        case "t": if (typeof v !== "bigint") return fail(t, v); w.view.setBigUint64(p, v, le); break
        case "d": if (typeof v !== "number") return fail(t, v); w.view.setFloat64(p, v, le); break
      }
      w.pos += t.fixedSize!
      return
    }
    case "variant": {
      if (!isVariant(v)) return fail(t, v)
      w.align(8)
      writeValue(w, parseType(v.type), v.value, le)
      w.u8(0)
      w.bytes(encoder.encode(v.type))
      return
    }
    case "maybe": {
      if (v === null || v === undefined) return
      writeValue(w, t.elem, v, le)
      if (t.elem.fixedSize === undefined) w.u8(0)
      return
    }
    case "array": {
      const e = t.elem
      if (e.kind === "basic" && e.code === "y") {
        if (!(v instanceof Uint8Array)) return fail(t, v)
        w.bytes(v)
        return
      }
      if (!Array.isArray(v)) return fail(t, v)
      if (v.length === 0) return
      w.align(t.align)
      if (e.fixedSize !== undefined) {
        for (const item of v) writeValue(w, e, item, le)
        return
      }
      const start = w.pos
      const ends: number[] = new Array(v.length)
      for (let i = 0; i < v.length; i++) {
        w.align(e.align)
        writeValue(w, e, v[i], le)
        ends[i] = w.pos - start
      }
      const width = offsetWidth(w.pos - start, v.length)
      for (const end of ends) w.offset(end, width)
      return
    }
    case "tuple": {
      if (!Array.isArray(v) || v.length !== t.members.length) return fail(t, v)
      w.align(t.align)
      const start = w.pos
      const ends: number[] = []
      const last = t.members.length - 1
      for (let i = 0; i <= last; i++) {
        const m = t.members[i]!
        w.align(m.align)
        writeValue(w, m, v[i], le)
        if (m.fixedSize === undefined && i !== last) ends.push(w.pos - start)
      }
      if (t.fixedSize !== undefined) {
        // Fixed tuples are padded to their fixed size (the unit tuple is one zero byte).
        while (w.pos - start < t.fixedSize) w.u8(0)
        return
      }
      const width = offsetWidth(w.pos - start, ends.length)
      for (let i = ends.length - 1; i >= 0; i--) w.offset(ends[i]!, width)
      return
    }
  }
}

export interface SerializeOptions {
  /** Byte order of the numbers in the value (framing offsets are always LE). Default true. */
  readonly littleEndian?: boolean
}

/** Serialise `value` as GVariant type `type` in normal form. */
export const serialize = (type: string | GType, value: unknown, opts: SerializeOptions = {}): Uint8Array => {
  const t = typeof type === "string" ? parseType(type) : type
  const w = new Writer()
  writeValue(w, t, value, opts.littleEndian ?? true)
  return w.buf.slice(0, w.pos)
}
