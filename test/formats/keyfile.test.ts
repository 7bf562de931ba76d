import t from "tap"
import {
  parseKeyfile, serializeKeyfile, emptyKeyfile, getString, getBoolean, getList, setString, setBoolean, setList,
  removeKey, removeGroup, groups, keys, KeyfileError,
} from "../../src/formats/keyfile.js"

// Written by `ostree` 2022.7: `init --mode=archive`, then two `remote add`s.
const ostreeConfig =
  "[core]\nrepo_version=1\nmode=archive-z2\n\n" +
  '[remote "origin"]\nurl=http://example.com/repo\nbranches=x;y;\ngpg-verify=false\n\n' +
  '[remote "fedora"]\nurl=https://f.example/\n'

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    return e
  }
  return undefined
}

t.test("a new file serialises exactly like GLib", async (t) => {
  const kf = emptyKeyfile()
  setString(kf, "core", "repo_version", "1")
  setString(kf, "core", "mode", "archive-z2")
  t.equal(serializeKeyfile(kf), "[core]\nrepo_version=1\nmode=archive-z2\n")
  setString(kf, 'remote "origin"', "url", "http://example.com/repo")
  setList(kf, 'remote "origin"', "branches", ["x", "y"])
  setBoolean(kf, 'remote "origin"', "gpg-verify", false)
  setString(kf, 'remote "fedora"', "url", "https://f.example/")
  t.equal(serializeKeyfile(kf), ostreeConfig, "groups are separated by one blank line, as ostree writes them")
})

t.test("a config written by ostree round-trips and reads back", async (t) => {
  const kf = parseKeyfile(ostreeConfig)
  t.equal(serializeKeyfile(kf), ostreeConfig)
  t.same(groups(kf), ["core", 'remote "origin"', 'remote "fedora"'])
  t.same(keys(kf, 'remote "origin"'), ["url", "branches", "gpg-verify"])
  t.same(keys(kf, "nope"), [])
  t.equal(getString(kf, "core", "mode"), "archive-z2")
  t.same(getList(kf, 'remote "origin"', "branches"), ["x", "y"])
  t.equal(getBoolean(kf, 'remote "origin"', "gpg-verify"), false)
  t.equal(getString(kf, "core", "missing"), undefined)
  t.equal(getString(kf, "missing", "mode"), undefined)
  t.equal(getBoolean(kf, "core", "missing"), undefined)
  t.equal(getList(kf, "core", "missing"), undefined)
})

t.test("comments and blank lines survive a round trip and edits", async (t) => {
  const text = "# top comment\n\n[core]\n# about mode\nmode=bare\n\n\n[origin]\nrefspec=fedora:fedora/x86_64/coreos/stable\n# end\n"
  const kf = parseKeyfile(text)
  t.equal(serializeKeyfile(kf), text)
  setString(kf, "core", "repo_version", "1")
  setString(kf, "origin", "refspec", "other:ref")
  t.equal(
    serializeKeyfile(kf),
    "# top comment\n\n[core]\n# about mode\nmode=bare\nrepo_version=1\n\n\n[origin]\nrefspec=other:ref\n# end\n",
    "a new key goes before the trailing blank lines; an existing key keeps its place",
  )
})

t.test("a missing blank line between groups is added, as g_key_file_to_data does", async (t) => {
  t.equal(serializeKeyfile(parseKeyfile("[a]\nx=1\n[b]\ny=2")), "[a]\nx=1\n\n[b]\ny=2\n")
  t.equal(serializeKeyfile(parseKeyfile("# c\n[a]\n")), "# c\n\n[a]\n")
})

t.test("parsing details follow GLib", async (t) => {
  const kf = parseKeyfile("  [g]  \r\n  a = b  \r\nk==v\n[h]\nx=1\n[g]\nc=2\na=last\n")
  t.same(groups(kf), ["g", "h"], "a repeated group header continues the first group")
  t.same(keys(kf, "g"), ["a", "k", "c"])
  t.equal(getString(kf, "g", "a"), "last", "a repeated key keeps the last value")
  t.equal(getString(kf, "g", "k"), "=v", "the key ends at the first '='")
  t.equal(getString(parseKeyfile("[g]\na = b  \n"), "g", "a"), "b  ", "leading space of a value is dropped, trailing kept")
})

t.test("escapes", async (t) => {
  const kf = parseKeyfile("[g]\ns=\\s\\slead\\ttab\\nnl\\rcr\\\\bs\n")
  t.equal(getString(kf, "g", "s"), "  lead\ttab\nnl\rcr\\bs")
  // vectors produced by `ostree config set`
  const cases: [string, string][] = [
    ["  lead;x\\y\tt", "\\s\\slead;x\\\\y\tt"],
    ["\tx\n y;\\\\ \r", "\\tx\\n y;\\\\\\\\ \\r"],
    [" \t a", "\\s\\t\\sa"],
    [" \n a", "\\s\\n\\sa"],
    [" \\ a", "\\s\\\\ a"],
  ]
  for (const [value, raw] of cases) {
    const k = emptyKeyfile()
    setString(k, "core", "v", value)
    t.equal(serializeKeyfile(k), `[core]\nv=${raw}\n`, JSON.stringify(value))
    t.equal(getString(parseKeyfile(serializeKeyfile(k)), "core", "v"), value, "and reads back")
  }
  t.type(thrown(() => getString(parseKeyfile("[g]\na=x\\q\n"), "g", "a")), KeyfileError, "unknown escape")
  t.type(thrown(() => getString(parseKeyfile("[g]\na=x\\\n"), "g", "a")), KeyfileError, "escape at end of line")
  t.type(thrown(() => getString(parseKeyfile("[g]\na=x\\;y\n"), "g", "a")), KeyfileError, "\\; is only valid in lists")
})

t.test("lists", async (t) => {
  const kf = parseKeyfile("[p]\na=x;y;z;\nb=x;y\nc=\nd=a\\;b;c;\ne=x;;\nf= lead;\n")
  t.same(getList(kf, "p", "a"), ["x", "y", "z"])
  t.same(getList(kf, "p", "b"), ["x", "y"], "the trailing ';' is optional")
  t.same(getList(kf, "p", "c"), [])
  t.same(getList(kf, "p", "d"), ["a;b", "c"])
  t.same(getList(kf, "p", "e"), ["x", ""], "only one trailing empty item is dropped")
  setList(kf, "p", "g", ["a;b", " sp", "c"])
  setList(kf, "p", "h", [])
  t.match(serializeKeyfile(kf), /\ng=a\\;b;\\ssp;c;\nh=\n$/)
  t.same(getList(kf, "p", "g"), ["a;b", " sp", "c"])
  t.same(getList(kf, "p", "h"), [])
})

t.test("booleans", async (t) => {
  const kf = parseKeyfile("[b]\nt=true\nf=false\none=1\nzero=0\nsp=true  \nbad=yes\n")
  t.equal(getBoolean(kf, "b", "t"), true)
  t.equal(getBoolean(kf, "b", "f"), false)
  t.equal(getBoolean(kf, "b", "one"), true)
  t.equal(getBoolean(kf, "b", "zero"), false)
  t.equal(getBoolean(kf, "b", "sp"), true)
  t.type(thrown(() => getBoolean(kf, "b", "bad")), KeyfileError)
  setBoolean(kf, "b", "t", false)
  t.equal(getString(kf, "b", "t"), "false")
})

t.test("remove keys and groups", async (t) => {
  const kf = parseKeyfile(ostreeConfig)
  t.equal(removeKey(kf, 'remote "origin"', "branches"), true)
  t.equal(removeKey(kf, 'remote "origin"', "branches"), false)
  t.equal(removeKey(kf, "nope", "x"), false)
  t.equal(removeGroup(kf, 'remote "fedora"'), true)
  t.equal(removeGroup(kf, 'remote "fedora"'), false)
  t.equal(serializeKeyfile(kf), '[core]\nrepo_version=1\nmode=archive-z2\n\n[remote "origin"]\nurl=http://example.com/repo\ngpg-verify=false\n\n')
})

t.test("malformed input is refused with the line number", async (t) => {
  const cases: [string, number, RegExp][] = [
    ["a=b\n[g]\n", 1, /does not start with a group/],
    ["[g]\nx=1\njunk\n", 3, /not a key-value pair/],
    ["[g]\n[unterminated\n", 2, /not a key-value pair/],
    ["[g]\n[]\n", 2, /invalid group name/],
    ["[g]\n[a]b]\n", 2, /not a key-value pair/],
    ["[g]\n=v\n", 2, /invalid key name/],
  ]
  for (const [text, line, re] of cases) {
    const e = thrown(() => parseKeyfile(text))
    t.type(e, KeyfileError, JSON.stringify(text))
    t.equal((e as KeyfileError).line, line)
    t.match((e as KeyfileError).message, new RegExp(`line ${line}: `))
    t.match((e as KeyfileError).reason, re)
    t.equal((e as KeyfileError)._tag, "KeyfileError")
  }
})

t.test("setters refuse names that cannot be written back", async (t) => {
  const kf = emptyKeyfile()
  t.type(thrown(() => setString(kf, "a]b", "k", "v")), KeyfileError)
  t.type(thrown(() => setString(kf, "g", "k=1", "v")), KeyfileError)
  t.type(thrown(() => setString(kf, "g", "#k", "v")), KeyfileError)
  t.type(thrown(() => setString(kf, "g", "k\nx", "v")), KeyfileError)
  t.equal(serializeKeyfile(kf), "", "nothing was added")
})
