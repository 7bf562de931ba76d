import t from "tap"
import {
  byteswap, formatDouble, glibDictOrder, parseVariantText, printVariant, variant,
} from "../../src/formats/gvariant/index.js"
import { xattr } from "../../src/formats/ostree/index.js"
import { formatCommitDate, formatIsoDate, formatSize } from "../../src/lib/glib-format.js"

t.test("printVariant renders like g_variant_print (vectors printed by ostree 2022.7)", async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ["a(ayay)", [], "@a(ayay) []"],
    ["a(ayay)", [xattr("user.foo", Buffer.from("bar"))], "[(b'user.foo', [byte 0x62, 0x61, 0x72])]"],
    ["(s)", ["x"], "('x',)"],
    ["ms", "q", "@ms 'q'"],
    ["ms", null, "@ms nothing"],
    ["ay", Buffer.from([0xff, 0x61, 0x0a, 0]), "b'\\377a\\n'"],
    ["ay", Buffer.from([0x00, 0x7f]), "[byte 0x00, 0x7f]"],
    ["ay", Buffer.alloc(0), "@ay []"],
    ["a{sv}", [], "@a{sv} {}"],
    ["v", variant("s", "v"), "<'v'>"],
    ["o", "/a/b", "objectpath '/a/b'"],
    ["a(sb)", [["a", true], ["b", false]], "[('a', true), ('b', false)]"],
    ["g", "a{sv}", "signature 'a{sv}'"],
    ["s", "x'y\"z", "\"x'y\\\"z\""],
    ["s", "a\"b\n\u0001é", "'a\"b\\n\\u0001é'"],
    ["a{sv}", [["ostree.ref-binding", variant("as", ["main"])]], "{'ostree.ref-binding': <['main']>}"],
    ["(tu)", [5n, 7], "(uint64 5, uint32 7)"],
    ["at", [1n, 2n], "[uint64 1, 2]"],
    ["(nqixhd)", [-1, 2, 3, -4n, 5, 0.5], "(int16 -1, uint16 2, 3, int64 -4, handle 5, 0.5)"],
  ]
  for (const [type, value, text] of cases) t.equal(printVariant(type, value), text, `${type}: ${text}`)
  t.equal(printVariant("a(ayay)", [], false), "[]", "without annotations")
  t.equal(printVariant("(tu)", [5n, 7], false), "(5, 7)")
})

t.test("byteswap reverses multi-byte numbers only", async (t) => {
  t.same(byteswap("(tsay)", [5n, "s", Buffer.from([1, 2])]), [360287970189639680n, "s", new Uint8Array([1, 2])])
  t.same(byteswap("a{sv}", [["k", variant("i", 1)]]), [["k", variant("i", 16777216)]], "inside variants too")
  t.equal(formatDouble(byteswap("d", 1) as number), "3.0386519416174186e-319", "as ostree shows 1.0 stored big-endian")
})

t.test("formatDouble is %.17g plus '.0' for integers", async (t) => {
  const cases: Array<[number, string]> = [
    [1, "1.0"], [1.5, "1.5"], [0.1, "0.10000000000000001"], [1e20, "1e+20"], [-2.5e-7, "-2.4999999999999999e-07"],
    [123456789, "123456789.0"], [0, "0.0"], [NaN, "nan"], [Infinity, "inf"],
  ]
  for (const [d, s] of cases) t.equal(formatDouble(d), s, `${d}`)
})

t.test("glibDictOrder replays GVariantDict's hash order (observed in ostree summaries)", async (t) => {
  t.same(glibDictOrder(["ostree.commit.version", "ostree.commit.timestamp"]), ["ostree.commit.version", "ostree.commit.timestamp"])
  t.same(
    glibDictOrder(["ostree.summary.last-modified", "ostree.summary.mode", "ostree.summary.tombstone-commits", "ostree.summary.indexed-deltas"]),
    ["ostree.summary.mode", "ostree.summary.last-modified", "ostree.summary.tombstone-commits", "ostree.summary.indexed-deltas"],
  )
  t.same(
    glibDictOrder(["foo", "b", "n", "u", "ostree.summary.last-modified", "ostree.summary.mode", "ostree.summary.tombstone-commits", "ostree.summary.indexed-deltas"]),
    ["ostree.summary.tombstone-commits", "b", "n", "foo", "u", "ostree.summary.last-modified", "ostree.summary.mode", "ostree.summary.indexed-deltas"],
    "eight keys: the table grew and relocated its entries",
  )
  const many = Array.from({ length: 100 }, (_, i) => `key${i}`)
  t.same([...glibDictOrder(many)].sort(), [...many].sort(), "a permutation, through several resizes")
  t.same(glibDictOrder(["a", "b", "a"]), glibDictOrder(["a", "b"]), "re-inserting keeps one entry")
})

t.test("GLib human formats", async (t) => {
  t.equal(formatSize(0), "0 bytes")
  t.equal(formatSize(1), "1 byte")
  t.equal(formatSize(999), "999 bytes")
  t.equal(formatSize(1000), "1.0\u00a0kB")
  t.equal(formatSize(100500), "100.5\u00a0kB")
  t.equal(formatSize(1250), "1.2\u00a0kB", "ties round to even, like printf")
  t.equal(formatSize(1350), "1.4\u00a0kB")
  t.equal(formatSize(2_500_000_000n), "2.5\u00a0GB")
  t.equal(formatCommitDate(1704164645n), "2024-01-02 03:04:05 +0000")
  t.equal(formatIsoDate(0n), "1970-01-01T00:00:00+00")
})

t.test("parseVariantText takes the scalar literals summary -m needs", async (t) => {
  t.same(parseVariantText("'bar'"), variant("s", "bar"))
  t.same(parseVariantText('"it\'s"'), variant("s", "it's"))
  t.same(parseVariantText("'a\\nb\\u00e9'"), variant("s", "a\nbé"))
  t.same(parseVariantText("true"), variant("b", true))
  t.same(parseVariantText("5"), variant("i", 5))
  t.same(parseVariantText("-3"), variant("i", -3))
  t.same(parseVariantText("1.5"), variant("d", 1.5))
  t.same(parseVariantText("uint64 7"), variant("t", 7n))
  t.same(parseVariantText("int16 -3"), variant("n", -3))
  t.same(parseVariantText("byte 0x10"), variant("y", 16))
  for (const bad of ["[1]", "'open", "uint16 70000", "byte -1", "{}", "x"]) t.throws(() => parseVariantText(bad), `refuses ${bad}`)
})
