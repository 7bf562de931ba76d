import t from "tap"
import { readFileSync } from "node:fs"
import { parse, serialize, variant, isNormalForm, parseType, GVariantError, bswap32, bswap64, offsetWidth } from "../../src/formats/gvariant/index.js"

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

t.test("type strings carry alignment and fixed size", async (t) => {
  t.equal(parseType("(uuua(ayay))").align, 4)
  t.equal(parseType("(yt)").fixedSize, 16)
  t.equal(parseType("()").fixedSize, 1)
  t.equal(parseType("(ty)").fixedSize, 16)
  t.equal(parseType("a{sv}").align, 8)
  t.throws(() => parseType("a{vs}"), GVariantError)
  t.throws(() => parseType("(uu"), GVariantError)
  t.throws(() => parseType("z"), GVariantError)
})

t.test("basic vectors match GLib", async (t) => {
  t.equal(hex(serialize("s", "hi")), "686900")
  t.equal(hex(serialize("u", 0x41ed)), "ed410000")
  t.equal(hex(serialize("(uuua(ayay))", [0, 0, bswap32(0o40755), []])), "00000000000000000000" + "41ed")
  t.equal(hex(serialize("v", variant("s", "1.0"))), "312e300000" + "73")
  t.equal(hex(serialize("as", ["a", "bc"])), "610062630002" + "05")
  t.equal(hex(serialize("ms", null)), "")
  t.equal(hex(serialize("ms", "a")), "610000")
  t.equal(hex(serialize("mu", 7)), "07000000")
  t.equal(hex(serialize("()", [])), "00")
  t.equal(hex(serialize("(sy)", ["a", 5])), "61000502", "non-final variable member gets an end offset")
  t.equal(bswap32(0x11223344), 0x44332211)
  t.equal(bswap64(0x1122334455667788n), 0x8877665544332211n)
})

t.test("offset width grows with the container", async (t) => {
  t.equal(offsetWidth(250, 5), 1)
  t.equal(offsetWidth(251, 5), 2)
  const big = Array.from({ length: 300 }, (_, i) => `s${i}`)
  const bytes = serialize("as", big)
  t.same(parse("as", bytes), big)
  t.ok(isNormalForm("as", bytes))
})

t.test("objects written by the real ostree round-trip byte for byte", async (t) => {
  const types: Record<string, string> = { commit: "(a{sv}aya(say)sstayay)", dirtree: "(a(say)a(sayay))", dirmeta: "(uuua(ayay))" }
  for (const [file, ext] of [["vector-142.commit", "commit"], ["vector.dirtree", "dirtree"], ["vector.dirmeta", "dirmeta"]] as const) {
    const bytes = readFileSync(new URL(`../../../fixtures/ostree/${file}`, import.meta.url))
    const v = parse(types[ext]!, bytes)
    t.equal(hex(serialize(types[ext]!, v)), hex(bytes), `${file} re-serialises identically`)
    t.ok(isNormalForm(types[ext]!, bytes))
  }
  const commit = parse("(a{sv}aya(say)sstayay)", readFileSync(new URL("../../../fixtures/ostree/vector-142.commit", import.meta.url))) as unknown[]
  t.equal(commit[3], "subj")
  t.equal(bswap64(commit[5] as bigint), 1699920000n, "timestamp is stored big-endian")
})

t.test("round-trip property over random values", async (t) => {
  let seed = 42
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
  const str = () => Array.from({ length: rnd(12) }, () => String.fromCharCode(97 + rnd(26))).join("")
  const bytes = () => Uint8Array.from({ length: rnd(40) }, () => rnd(256))
  const gen: Record<string, () => unknown> = {
    "(a{sv}aya(say)sstayay)": () => [
      Array.from({ length: rnd(4) }, () => [str() || "k", rnd(2) ? variant("s", str()) : variant("as", [str(), str()])]),
      bytes(), [], str(), str(), BigInt(rnd(1 << 30)), bytes(), bytes(),
    ],
    "(a(say)a(sayay))": () => [
      Array.from({ length: rnd(20) }, () => [str(), bytes()]),
      Array.from({ length: rnd(5) }, () => [str(), bytes(), bytes()]),
    ],
    "(tuuuusa(ayay))": () => [BigInt(rnd(1e9)), rnd(1e6), rnd(1e6), rnd(65535), 0, str(), Array.from({ length: rnd(3) }, () => [bytes(), bytes()])],
    "a{sv}": () => Array.from({ length: rnd(6) }, () => [str(), variant("(ut)", [rnd(100), BigInt(rnd(100))])]),
    "(a(s(taya{sv}))a{sv})": () => [Array.from({ length: rnd(6) }, () => [str(), [BigInt(rnd(1e6)), bytes(), [["x", variant("t", 5n)]]]]), []],
    "mas": () => (rnd(2) ? null : [str()]),
    "aay": () => Array.from({ length: rnd(8) }, bytes),
  }
  for (const [type, g] of Object.entries(gen)) {
    for (let i = 0; i < 200; i++) {
      const v = g()
      const b = serialize(type, v)
      const back = parse(type, b)
      if (hex(serialize(type, back)) !== hex(b)) { t.fail(`${type} round trip #${i}`); return }
      if (!isNormalForm(type, b)) { t.fail(`${type} normal form #${i}`); return }
    }
    t.pass(`${type}: 200 random values round-trip`)
  }
})

t.test("malformed bytes are refused, not misread", async (t) => {
  t.throws(() => parse("s", Uint8Array.of(0x61, 0x62)), GVariantError, "missing NUL")
  t.throws(() => parse("u", Uint8Array.of(1, 2)), GVariantError, "short fixed value")
  t.throws(() => parse("as", Uint8Array.of(0x61, 0, 9)), GVariantError, "offset past the end")
  t.throws(() => parse("b", Uint8Array.of(2)), GVariantError, "boolean out of range")
  t.throws(() => parse("v", Uint8Array.of(1, 2, 3)), GVariantError, "variant without separator")
  t.throws(() => serialize("u", "x"), GVariantError, "value of the wrong type")
  t.notOk(isNormalForm("(uuua(ayay))", Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0xed, 0)))
})
