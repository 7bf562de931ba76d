import t from "tap"
import { rpmvercmp, parseEvr, compareEvr, rangesOverlap, depMatches, SENSE_EQUAL, SENSE_GREATER, SENSE_LESS } from "../../src/formats/rpm/evr.js"

// rpm's own test vectors (tests/rpmvercmp.at): [a, b, expected rpmvercmp(a, b)]
const vectors: Array<[string, string, number]> = [
  ["1.0", "1.0", 0], ["1.0", "2.0", -1], ["2.0", "1.0", 1], ["2.0.1", "2.0.1", 0], ["2.0", "2.0.1", -1], ["2.0.1", "2.0", 1],
  ["2.0.1a", "2.0.1a", 0], ["2.0.1a", "2.0.1", 1], ["2.0.1", "2.0.1a", -1], ["5.5p1", "5.5p1", 0], ["5.5p1", "5.5p2", -1],
  ["5.5p2", "5.5p1", 1], ["5.5p10", "5.5p10", 0], ["5.5p1", "5.5p10", -1], ["5.5p10", "5.5p1", 1], ["10xyz", "10.1xyz", -1],
  ["10.1xyz", "10xyz", 1], ["xyz10", "xyz10", 0], ["xyz10", "xyz10.1", -1], ["xyz10.1", "xyz10", 1], ["xyz.4", "xyz.4", 0],
  ["xyz.4", "8", -1], ["8", "xyz.4", 1], ["xyz.4", "2", -1], ["2", "xyz.4", 1], ["5.5p2", "5.6p1", -1], ["5.6p1", "5.5p2", 1],
  ["5.6p1", "6.5p1", -1], ["6.5p1", "5.6p1", 1], ["6.0.rc1", "6.0", 1], ["6.0", "6.0.rc1", -1], ["10b2", "10a1", 1],
  ["10a2", "10b2", -1], ["1.0aa", "1.0aa", 0], ["1.0a", "1.0aa", -1], ["1.0aa", "1.0a", 1], ["10.0001", "10.0001", 0],
  ["10.0001", "10.1", 0], ["10.1", "10.0001", 0], ["10.0001", "10.0039", -1], ["10.0039", "10.0001", 1], ["4.999.9", "5.0", -1],
  ["5.0", "4.999.9", 1], ["20101121", "20101121", 0], ["20101121", "20101122", -1], ["20101122", "20101121", 1], ["2_0", "2_0", 0],
  ["2.0", "2_0", 0], ["2_0", "2.0", 0], ["a", "a", 0], ["a+", "a+", 0], ["a+", "a_", 0], ["a_", "a+", 0], ["+a", "+a", 0],
  ["+a", "_a", 0], ["_a", "+a", 0], ["+_", "+_", 0], ["_+", "+_", 0], ["_+", "_+", 0], ["+", "_", 0], ["_", "+", 0],
  ["1.0~rc1", "1.0~rc1", 0], ["1.0~rc1", "1.0", -1], ["1.0", "1.0~rc1", 1], ["1.0~rc1", "1.0~rc2", -1], ["1.0~rc2", "1.0~rc1", 1],
  ["1.0~rc1~git123", "1.0~rc1~git123", 0], ["1.0~rc1~git123", "1.0~rc1", -1], ["1.0~rc1", "1.0~rc1~git123", 1], ["1.0^", "1.0^", 0],
  ["1.0^", "1.0", 1], ["1.0", "1.0^", -1], ["1.0^git1", "1.0^git1", 0], ["1.0^git1", "1.0", 1], ["1.0", "1.0^git1", -1],
  ["1.0^git1", "1.0^git2", -1], ["1.0^git2", "1.0^git1", 1], ["1.0^git1", "1.01", -1], ["1.01", "1.0^git1", 1],
  ["1.0^20160101", "1.0^20160101", 0], ["1.0^20160101", "1.0.1", -1], ["1.0.1", "1.0^20160101", 1],
  ["1.0^20160101^git1", "1.0^20160101^git1", 0], ["1.0^20160102", "1.0^20160101^git1", 1], ["1.0^20160101^git1", "1.0^20160102", -1],
  ["1.0~rc1^git1", "1.0~rc1^git1", 0], ["1.0~rc1^git1", "1.0~rc1", 1], ["1.0~rc1", "1.0~rc1^git1", -1], ["1.0^git1~pre", "1.0^git1~pre", 0],
  ["1.0^git1", "1.0^git1~pre", 1], ["1.0^git1~pre", "1.0^git1", -1],
]

t.test("rpmvercmp matches every vector in rpm's test suite", async (t) => {
  for (const [a, b, want] of vectors) t.equal(rpmvercmp(a, b), want, `rpmvercmp(${a}, ${b})`)
  t.equal(vectors.length, 91, "all non-disabled vectors")
})

t.test("long numeric segments compare by length, not by overflowing a number", async (t) => {
  t.equal(rpmvercmp("1.123456789012345678901234567890", "1.123456789012345678901234567891"), -1)
  t.equal(rpmvercmp("0000000000000000000001", "1"), 0)
})

t.test("EVR parsing and ordering", async (t) => {
  t.same(parseEvr("1:2.0-3"), { epoch: "1", version: "2.0", release: "3" })
  t.same(parseEvr("2.0"), { epoch: undefined, version: "2.0", release: undefined })
  t.same(parseEvr(":2.0-1-2"), { epoch: "0", version: "2.0-1", release: "2" })
  t.equal(compareEvr("1:1.0-1", "2.0-1"), 1, "an epoch beats any version")
  t.equal(compareEvr("0:1.0-1", "1.0-1"), 0, "a missing epoch is 0")
  t.equal(compareEvr("1.0", "1.0-1"), -1, "a missing release sorts first")
  t.equal(compareEvr("1:1.0~rc1-1", "1:1.0-1"), -1)
})

t.test("dependency ranges overlap like rpmdsCompare", async (t) => {
  const P = (evr: string, flags = SENSE_EQUAL) => ({ name: "foo", flags, evr })
  const GE = SENSE_GREATER | SENSE_EQUAL
  const LE = SENSE_LESS | SENSE_EQUAL
  t.ok(depMatches(P("1:2.0-1"), P("2.0", GE)), "require without epoch: a positive epoch on the provide wins")
  t.notOk(depMatches(P("2.0-1"), P("1:1.0", GE)), "require with epoch 1 against provide without epoch")
  t.ok(depMatches(P("2.0-1"), P("2.0")), "a require without release matches any release")
  t.notOk(depMatches(P("2.0-1"), P("2.0-2")))
  t.ok(depMatches(P("2.0-1"), P("3", SENSE_LESS)))
  t.notOk(depMatches(P("3.0-1"), P("3", SENSE_LESS)), "same version, release only on one side, no '=' in <")
  t.ok(depMatches(P("3.0-1"), P("3.0", LE)))
  t.ok(depMatches({ name: "foo", flags: 0, evr: "" }, P("9.9", GE)), "an unversioned provide satisfies any version")
  t.ok(depMatches(P("1.0"), { name: "foo", flags: 0, evr: "" }), "an unversioned require is an existence test")
  t.notOk(depMatches(P("1.0"), { name: "bar", flags: 0, evr: "" }))
  t.ok(depMatches(P("1.0~rc1-1"), P("1.0~rc1", GE)))
  t.notOk(depMatches(P("1.0~rc1-1"), P("1.0", GE)), "tilde pre-release is older than the release")
  t.ok(rangesOverlap({ evr: "1.0", flags: GE }, { evr: "2.0", flags: LE }), "two ranges")
  t.notOk(rangesOverlap({ evr: "2.0", flags: SENSE_GREATER }, { evr: "2.0", flags: SENSE_LESS }))
})
