/**
 * bspatch for the patch streams in static deltas (opcode 'B'). ostree bundles the endsley/bsdiff
 * stream format: no header, no compression of its own (the delta part is xz-compressed as a
 * whole), just repeated control triples — three 8-byte sign-magnitude little-endian integers
 * (diff length, extra length, old-position seek) — each followed by `diff` bytes to add to the
 * old file and `extra` bytes to copy.
 */
import { RemoteError } from "./error.js"

const fail = (why: string): RemoteError => new RemoteError({ op: "static delta", reason: "Corrupt", detail: `bsdiff patch failed: ${why}` })

/** bsdiff's offtin: magnitude in the low 63 bits, little-endian; sign in the top bit. */
const offtin = (b: Uint8Array, p: number): number => {
  let y = b[p + 7]! & 0x7f
  for (let i = 6; i >= 0; i--) y = y * 256 + b[p + i]!
  return b[p + 7]! & 0x80 ? -y : y
}

export const bspatch = (old: Uint8Array, newSize: number, patch: Uint8Array): Buffer => {
  const out = Buffer.alloc(newSize)
  let oldPos = 0
  let newPos = 0
  let p = 0
  while (newPos < newSize) {
    if (p + 24 > patch.length) throw fail("truncated control block")
    const diff = offtin(patch, p)
    const extra = offtin(patch, p + 8)
    const seek = offtin(patch, p + 16)
    p += 24
    if (diff < 0 || extra < 0 || newPos + diff > newSize || p + diff > patch.length) throw fail("bad diff length")
    for (let i = 0; i < diff; i++) {
      const o = oldPos + i
      out[newPos + i] = (patch[p + i]! + (o >= 0 && o < old.length ? old[o]! : 0)) & 0xff
    }
    p += diff
    newPos += diff
    oldPos += diff
    if (newPos + extra > newSize || p + extra > patch.length) throw fail("bad extra length")
    out.set(patch.subarray(p, p + extra), newPos)
    p += extra
    newPos += extra
    oldPos += seek
  }
  return out
}
