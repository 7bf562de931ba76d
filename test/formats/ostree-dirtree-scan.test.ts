/**
 * The direct dirtree reader against the generic GVariant parser: on well-formed trees (small and
 * large enough for 2- and 4-byte framing offsets, ASCII and non-ASCII names) and on thousands of
 * corrupted variants of them, parseDirtree must accept exactly what the generic path accepts,
 * with the same result, and refuse the rest with a format error.
 */
import t from "tap"
import { parseDirtree, parseDirtreeGeneric, serializeDirtree, OstreeFormatError, type Dirtree } from "../../src/formats/ostree/index.js"
import { scanDirtree } from "../../src/formats/ostree/dirtree-scan.js"

/** A small deterministic PRNG, so a failure reproduces. */
const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) >>> 0
  return seed / 0x1_0000_0000
}

const hex = (r: () => number): string => Array.from({ length: 32 }, () => Math.floor(r() * 256).toString(16).padStart(2, "0")).join("")

const tree = (r: () => number, nFiles: number, nDirs: number, longNames: boolean): Dirtree => {
  const name = (i: number, p: string) => `${p}${i.toString().padStart(5, "0")}${longNames ? "x".repeat(Math.floor(r() * 200)) : ""}${i % 7 === 0 ? "é" : ""}`
  return {
    files: Array.from({ length: nFiles }, (_, i) => ({ name: name(i, "f"), checksum: hex(r) })),
    dirs: Array.from({ length: nDirs }, (_, i) => ({ name: name(i, "d"), tree: hex(r), meta: hex(r) })),
  }
}

type Outcome = { ok: true; value: Dirtree } | { ok: false; error: unknown }
const outcome = (f: () => Dirtree): Outcome => {
  try {
    return { ok: true, value: f() }
  } catch (error) {
    return { ok: false, error }
  }
}

const sizes: ReadonlyArray<[number, number, boolean]> = [[0, 0, false], [1, 0, false], [0, 1, false], [3, 2, false], [40, 10, false], [300, 40, true], [0, 400, true]]

t.test("well-formed dirtrees read the same through both paths", async (t) => {
  const r = rng(1)
  for (const [f, d, long] of sizes) {
    const want = tree(r, f, d, long)
    const bytes = serializeDirtree(want)
    t.ok(scanDirtree(bytes), `fast path taken for ${f} files, ${d} dirs (${bytes.length} bytes)`)
    t.same(parseDirtree(bytes), want, `${f} files, ${d} dirs`)
    t.same(parseDirtree(Buffer.from(bytes)), parseDirtreeGeneric(bytes), "a Buffer and a Uint8Array read alike")
  }
})

t.test("corrupted dirtrees: accepted and refused exactly as the generic parser does", async (t) => {
  const r = rng(7)
  let refused = 0
  let cases = 0
  for (const [f, d, long] of sizes) {
    const good = serializeDirtree(tree(r, f, d, long))
    for (let k = 0; k < 400; k++) {
      const bytes = Uint8Array.from(good)
      const kind = k % 4
      if (kind === 0 && bytes.length) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8)
      else if (kind === 1 && bytes.length) bytes[bytes.length - 1 - Math.floor(r() * Math.min(8, bytes.length))] = Math.floor(r() * 256)
      else if (kind === 2 && bytes.length) bytes[Math.floor(r() * bytes.length)] = [0, 0x2f, 0x2e, 0xff, 0x80][Math.floor(r() * 5)]!
      const input = kind === 3 ? bytes.subarray(0, Math.floor(r() * bytes.length)) : bytes
      const fast = outcome(() => parseDirtree(input))
      const generic = outcome(() => parseDirtreeGeneric(input))
      cases++
      if (fast.ok !== generic.ok) t.fail(`case ${k} of ${f}/${d}: fast ${fast.ok ? "accepted" : "refused"}, generic ${generic.ok ? "accepted" : "refused"}`)
      if (fast.ok && generic.ok) {
        if (JSON.stringify(fast.value) !== JSON.stringify(generic.value)) t.fail(`case ${k} of ${f}/${d}: different values`)
      }
      if (!fast.ok) {
        refused++
        if (!(fast.error instanceof OstreeFormatError)) t.fail(`case ${k}: not a format error: ${String(fast.error)}`)
      }
    }
  }
  t.ok(refused > cases / 4, `most corruptions are refused (${refused} of ${cases})`)
})
