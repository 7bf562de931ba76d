// The solver's tokenized EVR comparison (src/solver/evr.ts) against rpm's string rpmvercmp and
// rangesOverlap (src/formats/rpm/evr.ts, itself checked against rpm's vectors): generated
// versions with numbers, letters, leading zeros, separators, ~, ^, epochs and releases.
import t from "tap"
import { compareEvr, rangesOverlap, rpmvercmp } from "../../src/formats/rpm/evr.js"
import { compareKeys, compareTokens, evrKey, keysOverlap, tokenize } from "../../src/solver/evr.js"

let seed = 12345
const rnd = (n: number): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return seed % n
}
const PIECES = ["0", "1", "2", "10", "007", "9", "a", "b", "rc", "beta", "~", "^", ".", "_", "+", "1234567890123456789", "fc40", "el9", "git20240101"]
const version = (): string => Array.from({ length: 1 + rnd(5) }, () => PIECES[rnd(PIECES.length)]!).join("")
const evr = (): string => `${rnd(3) === 0 ? `${rnd(3)}:` : ""}${version()}${rnd(3) ? `-${version()}` : ""}`
const FLAGS = [2, 4, 8, 10, 12]

t.test("tokenized rpmvercmp equals rpm's on generated versions", async (t) => {
  let bad = 0
  for (let i = 0; i < 20000; i++) {
    const a = version()
    const b = version()
    if (compareTokens(tokenize(a), tokenize(b)) !== rpmvercmp(a, b) && bad++ < 5) t.fail(`${a} vs ${b}: ${compareTokens(tokenize(a), tokenize(b))} != ${rpmvercmp(a, b)}`)
  }
  t.equal(bad, 0)
})

t.test("EVR order and range overlap equal rpm's", async (t) => {
  let bad = 0
  for (let i = 0; i < 20000; i++) {
    const a = evr()
    const b = evr()
    if (compareKeys(evrKey(a), evrKey(b)) !== compareEvr(a, b) && bad++ < 5) t.fail(`order ${a} vs ${b}`)
    const f1 = FLAGS[rnd(FLAGS.length)]!
    const f2 = FLAGS[rnd(FLAGS.length)]!
    if (keysOverlap(evrKey(a), f1, evrKey(b), f2) !== rangesOverlap({ evr: a, flags: f1 }, { evr: b, flags: f2 }) && bad++ < 5) t.fail(`overlap ${a}/${f1} vs ${b}/${f2}`)
  }
  t.equal(bad, 0)
})

t.test("rpm's documented cases", async (t) => {
  for (const [a, b, want] of [["1.0", "1.0", 0], ["1.0", "2.0", -1], ["1.0~rc1", "1.0", -1], ["1.0^", "1.0", 1], ["1.0^git1", "1.0.1", -1], ["1.0a", "1.0", 1], ["1.001", "1.1", 0], ["2.0", "2_0", 0], ["1a", "1.a", 0], ["a", "1", -1]] as const)
    t.equal(compareTokens(tokenize(a), tokenize(b)), want, `${a} vs ${b}`)
})
