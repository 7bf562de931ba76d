import t from "tap"
import { parseBls, serializeBls, strverscmp, compareBlsEntries, BlsError, type BlsEntry } from "../../src/formats/bls.js"

// FORMATS.md 6.3, written by `ostree admin deploy` 2022.7 [verified]
const verified =
  "title Test OS 42.1 (ostree:0)\n" +
  "version 1\n" +
  "options root=/dev/vda1 rw ostree=/ostree/boot.1/testos/<bootcsum>/0\n" +
  "linux /ostree/testos-<bootcsum>/vmlinuz-6.1.0\n" +
  "initrd /ostree/testos-<bootcsum>/initramfs-6.1.0.img\n"

t.test("the entry ostree wrote parses and re-serialises byte for byte", async (t) => {
  const e = parseBls(verified)
  t.same(e, {
    title: "Test OS 42.1 (ostree:0)",
    version: "1",
    options: "root=/dev/vda1 rw ostree=/ostree/boot.1/testos/<bootcsum>/0",
    linux: "/ostree/testos-<bootcsum>/vmlinuz-6.1.0",
    initrd: ["/ostree/testos-<bootcsum>/initramfs-6.1.0.img"],
    extra: [],
  })
  t.equal(serializeBls(e), verified)
})

t.test("the writer uses ostree's key order whatever order was read", async (t) => {
  const text =
    "# comment\n" +
    "initrd /i1\n" +
    "custom1 a b\n" +
    "linux\t/vmlinuz\n" +
    "\n" +
    "initrd /overlay\n" +
    "devicetree /dtb\n" +
    "options  two spaces\n" +
    "lonely\n" +
    "custom2 c\n" +
    "version 3\n" +
    "title T\n" +
    "custom1 last\n"
  const e = parseBls(text)
  t.equal(e.linux, "/vmlinuz", "a tab separates too")
  t.equal(e.options, " two spaces", "only the first separator is consumed")
  t.same(e.initrd, ["/i1", "/overlay"], "later initrd lines are overlay initrds")
  t.same(e.extra, [["custom1", "last"], ["custom2", "c"]], "a repeated key keeps its first place and last value; a key with no value is dropped")
  t.equal(
    serializeBls(e),
    "title T\nversion 3\noptions  two spaces\ndevicetree /dtb\nlinux /vmlinuz\ninitrd /i1\ninitrd /overlay\ncustom1 last\ncustom2 c\n",
  )
})

t.test("absent keys are not written", async (t) => {
  t.equal(serializeBls({ version: "2", linux: "/k", initrd: [], extra: [] }), "version 2\nlinux /k\n")
  t.same(parseBls(""), { initrd: [], extra: [] })
})

t.test("values that would break the line format are refused", async (t) => {
  const bad: BlsEntry[] = [
    { title: "a\nversion 9", initrd: [], extra: [] },
    { initrd: ["/a\n/b"], extra: [] },
    { initrd: [], extra: [["two words", "x"]] },
    { initrd: [], extra: [["", "x"]] },
    { initrd: [], extra: [["#c", "x"]] },
    { initrd: [], extra: [["linux", "/shadow"]] },
  ]
  for (const e of bad) t.throws(() => serializeBls(e), BlsError, JSON.stringify(e))
})

t.test("strverscmp matches glibc", async (t) => {
  // results printed by glibc 2.36 strverscmp for each pair
  const vectors: [string, string, number][] = [
    ["000", "00", -1], ["00", "01", -1], ["01", "010", -1], ["010", "09", -1], ["09", "0", -1],
    ["0", "1", -1], ["1", "9", -1], ["9", "10", -1], ["1.01", "1.1", -1], ["1.1", "1.10", -1],
    ["1.9", "1.10", -1], ["2", "10", -1], ["a", "b", -1], ["alpha1", "alpha01", 1], ["42.1", "42.10", -1],
    ["", "1", -1], ["1a", "1", 1], ["6.1.0-13", "6.1.0-9", 1], ["39.20240101.0", "39.20231201.3", 1],
    ["abc", "abc", 0], ["item#99", "item#100", -1], ["x010", "x9", -1], ["1.001", "1.01", -1],
  ]
  for (const [a, b, r] of vectors) {
    t.equal(Math.sign(strverscmp(a, b)), r, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
    t.equal(Math.sign(strverscmp(b, a)), -r, "and reversed")
  }
})

t.test("entries sort by version, highest first, unversioned last", async (t) => {
  const entries = [{ version: "2" }, {}, { version: "10" }, { version: "1", title: "x" }, { title: "y" }, { version: "9" }]
  t.same([...entries].sort(compareBlsEntries), [
    { version: "10" }, { version: "9" }, { version: "2" }, { version: "1", title: "x" }, {}, { title: "y" },
  ])
})
