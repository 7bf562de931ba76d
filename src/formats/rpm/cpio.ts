/**
 * A push parser for RPM payload archives: SVR4 "newc" cpio (`070701`, and `070702` whose
 * checksum rpm ignores) and rpm's stripped format (`07070X` + an 8-hex-digit file index into the
 * header, used when a package has a file ≥ 4 GiB; sizes then come from the header). Chunks go
 * in, events come out; nothing is buffered beyond one entry header, so a payload of any size
 * streams through in constant memory.
 */
import { corrupt } from "./error.js"

export interface CpioEntry {
  /** Entry name as stored ("./usr/bin/x"); undefined in the stripped format. */
  readonly name: string | undefined
  /** Header file index (stripped format only). */
  readonly fx: number | undefined
  readonly ino: number
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly nlink: number
  readonly mtime: number
  readonly size: number
  readonly rdevMajor: number
  readonly rdevMinor: number
}

export type CpioEvent =
  | { readonly type: "entry"; readonly entry: CpioEntry }
  | { readonly type: "data"; readonly bytes: Buffer }
  | { readonly type: "end" }

export interface CpioParserOptions {
  /** Stripped format: the payload size of header file `fx` (rpm takes it from the header). */
  readonly sizeOf?: (fx: number) => number
  /** Longest entry name accepted (rpm: 4096 + NUL). */
  readonly maxNameSize?: number
}

const NEWC_HEADER = 110
const STRIPPED_HEADER = 14
const TRAILER = "TRAILER!!!"

type State = "header" | "name" | "pad" | "data" | "end"

/** Incremental cpio parser. Call `push(chunk)` for each chunk and `finish()` at end of input. */
export class CpioParser {
  private state: State = "header"
  private pos = 0 // bytes consumed from the archive start (padding is relative to it)
  private buf: Buffer = Buffer.alloc(0)
  private pending: Omit<CpioEntry, "name"> & { nameSize: number } = undefined as never
  private left = 0
  private afterPad: "header" | "data" = "header"
  private readonly sizeOf: ((fx: number) => number) | undefined
  private readonly maxNameSize: number

  constructor(opts: CpioParserOptions = {}) {
    this.sizeOf = opts.sizeOf
    this.maxNameSize = opts.maxNameSize ?? 4097
  }

  get ended(): boolean {
    return this.state === "end"
  }

  /** Total archive bytes consumed so far. */
  get offset(): number {
    return this.pos
  }

  push(chunk: Buffer): CpioEvent[] {
    const out: CpioEvent[] = []
    let c = chunk
    while (c.length > 0) {
      if (this.state === "end") {
        // rpm's trailer is followed by padding only; anything else means a hostile payload
        if (c.some((b) => b !== 0)) throw corrupt("cpio", "data after the trailer")
        this.pos += c.length
        break
      }
      if (this.state === "data" || this.state === "pad") {
        const n = Math.min(this.left, c.length)
        if (this.state === "data" && n > 0) out.push({ type: "data", bytes: c.subarray(0, n) })
        c = c.subarray(n)
        this.pos += n
        this.left -= n
        if (this.left === 0) this.advance()
        continue
      }
      const want = this.state === "name" ? this.pending.nameSize : this.headerSize()
      if (want === undefined) {
        const k = Math.min(6 - this.buf.length, c.length)
        this.buf = Buffer.concat([this.buf, c.subarray(0, k)])
        this.pos += k
        c = c.subarray(k)
        continue
      }
      const needed = want - this.buf.length
      if (c.length < needed) {
        this.buf = Buffer.concat([this.buf, c])
        this.pos += c.length
        break
      }
      const full = this.buf.length ? Buffer.concat([this.buf, c.subarray(0, needed)]) : c.subarray(0, needed)
      c = c.subarray(needed)
      this.pos += needed
      this.buf = Buffer.alloc(0)
      if (this.state === "header") this.onHeader(full, out)
      else this.onName(full, out)
    }
    return out
  }

  /** Checks that the archive ended with its trailer. */
  finish(): void {
    if (this.state !== "end") throw corrupt("cpio", `truncated archive (ended at byte ${this.pos} inside an entry)`)
  }

  /** Header length once the 6-byte magic is known. */
  private headerSize(): number | undefined {
    if (this.buf.length < 6) return undefined
    const magic = this.buf.toString("latin1", 0, 6)
    if (magic === "070701" || magic === "070702") return NEWC_HEADER
    if (magic === "07070X") return STRIPPED_HEADER
    throw corrupt("cpio", `bad magic "${magic.replace(/[^\x20-\x7e]/g, "?")}" at byte ${this.pos - this.buf.length}`)
  }

  /** Pads to a 4-byte boundary, then goes on to `next`. */
  private padThen(next: "header" | "data"): void {
    this.afterPad = next
    this.left = (4 - (this.pos % 4)) % 4
    this.state = "pad"
    if (this.left === 0) this.advance()
  }

  /** Called when a pad or a data run is used up. */
  private advance(): void {
    if (this.state === "data") return this.padThen("header")
    if (this.afterPad === "header") {
      this.state = "header"
      return
    }
    this.afterPad = "header"
    this.state = "data"
    this.left = this.pending.size
    if (this.left === 0) this.padThen("header")
  }

  private onHeader(h: Buffer, out: CpioEvent[]): void {
    const hex = (i: number): number => {
      const s = h.toString("latin1", 6 + 8 * i, 14 + 8 * i)
      if (!/^[0-9a-fA-F]{8}$/.test(s)) throw corrupt("cpio", `bad header field "${s.replace(/[^\x20-\x7e]/g, "?")}"`)
      return Number.parseInt(s, 16)
    }
    if (h.length === STRIPPED_HEADER) {
      const fx = hex(0)
      if (fx === 0xffffffff) {
        this.state = "end"
        out.push({ type: "end" })
        return
      }
      if (!this.sizeOf) throw corrupt("cpio", "stripped entry without a header to size it")
      const size = this.sizeOf(fx)
      this.pending = { fx, ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, size, rdevMajor: 0, rdevMinor: 0, nameSize: 0 }
      out.push({ type: "entry", entry: { ...this.entryOf(), name: undefined } })
      this.padThen("data")
      return
    }
    const nameSize = hex(11)
    if (nameSize < 1 || nameSize > this.maxNameSize) throw corrupt("cpio", `entry name size ${nameSize} out of range`)
    this.pending = {
      fx: undefined, ino: hex(0), mode: hex(1), uid: hex(2), gid: hex(3), nlink: hex(4), mtime: hex(5), size: hex(6),
      rdevMajor: hex(9), rdevMinor: hex(10), nameSize,
    }
    this.state = "name"
  }

  private onName(n: Buffer, out: CpioEvent[]): void {
    if (n[n.length - 1] !== 0) throw corrupt("cpio", "entry name is not NUL-terminated")
    const name = n.toString("utf8", 0, n.length - 1)
    if (name.includes("\0")) throw corrupt("cpio", "entry name contains NUL")
    if (name === TRAILER) {
      // the trailer's own padding is consumed (and checked to be zero) in the "end" state
      this.state = "end"
      out.push({ type: "end" })
      return
    }
    out.push({ type: "entry", entry: { ...this.entryOf(), name } })
    this.padThen("data")
  }

  private entryOf(): Omit<CpioEntry, "name"> {
    const { nameSize: _n, ...rest } = this.pending
    return rest
  }
}

// ---- writing (fixtures and tests build hostile archives with this) -----------------------------

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0")
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4)

/** One newc entry: header, name, padding, data, padding — given the archive offset it starts at. */
export const newcEntry = ({ name, mode, size, data, ino = 0, uid = 0, gid = 0, nlink = 1, mtime = 0, offset = 0 }: {
  name: string; mode: number; size?: number; data?: Uint8Array; ino?: number; uid?: number; gid?: number; nlink?: number; mtime?: number; offset?: number
}): Buffer => {
  const body = data ? Buffer.from(data) : Buffer.alloc(0)
  const nameBytes = Buffer.from(name + "\0", "utf8")
  const fields = [ino, mode, uid, gid, nlink, mtime, size ?? body.length, 0, 0, 0, 0, nameBytes.length, 0]
  const head = Buffer.from("070701" + fields.map(hex8).join(""), "latin1")
  const first = Buffer.concat([head, nameBytes])
  const a = Buffer.concat([first, pad4(offset + first.length)])
  const b = Buffer.concat([body, pad4(offset + a.length + body.length)])
  return Buffer.concat([a, b])
}

/** A whole newc archive from entries, closed with rpm's trailer. */
export const newcArchive = (entries: ReadonlyArray<Parameters<typeof newcEntry>[0]>): Buffer => {
  const parts: Buffer[] = []
  let off = 0
  for (const e of [...entries, { name: TRAILER, mode: 0 }]) {
    const b = newcEntry({ ...e, offset: off })
    parts.push(b)
    off += b.length
  }
  return Buffer.concat(parts)
}

/** A stripped (`07070X`) archive: file indexes with their contents, then rpm's trailer. */
export const strippedArchive = (entries: ReadonlyArray<{ fx: number; data: Uint8Array }>): Buffer => {
  const parts: Buffer[] = []
  let off = 0
  const add = (b: Buffer) => {
    parts.push(b)
    off += b.length
  }
  for (const e of entries) {
    add(Buffer.from("07070X" + hex8(e.fx), "latin1"))
    add(pad4(off))
    add(Buffer.from(e.data))
    add(pad4(off))
  }
  add(newcEntry({ name: TRAILER, mode: 0, nlink: 1, offset: off }))
  return Buffer.concat(parts)
}
