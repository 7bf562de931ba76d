// The pool: interned dependencies (rich ones as trees), who provides what (versions, files,
// self-provides), arch policy, selections of the user's words, snapshots.
import t from "tap"
import { Pool } from "../../src/solver/pool.js"
import "../../src/solver/rich.js"
import { select, selectFile, selectGlob, selectNevra, selectProvides } from "../../src/solver/selection.js"
import { loadSnapshot, saveSnapshot } from "../../src/solver/snapshot.js"
import { archPolicy } from "../../src/solver/arch.js"
import { K } from "../../src/solver/package.js"
import { StringPool } from "../../src/solver/strings.js"
import { lines, makePool, pkg, run } from "./helpers.js"

t.test("rich dependencies parse into trees and print back as rpm writes them", async (t) => {
  const pool = new Pool()
  for (const text of ["(a or b)", "(a and b and c)", "(a >= 1.0 or (b if c))", "(a if b else c)", "(a unless b else c)", "(perl(Foo::Bar) >= 1:2.0-1 with perl(Baz))", "(a without b)", "(font(:lang=en) or b)"])
    t.equal(pool.formatDep(pool.dep(text, 0, "")), text, text)
  t.equal(pool.formatDep(pool.dep("((a))", 0, "")), "a", "redundant parentheses")
  const bad = pool.dep("(a or", 0, "")
  t.equal(pool.formatDep(bad), "(a or", "an unparsable rich dependency stays a name nothing provides")
  t.equal(pool.formatDep(pool.dep("(a or b and c)", 0, "")), "(a or b and c)", "mixed operators without parentheses are rejected the same way")
  t.equal(pool.dep("(a or b)", 0, ""), pool.dep("(a  or  b)", 0, ""), "equal dependencies intern to one id")
})

t.test("who provides what", async (t) => {
  const pool = makePool({
    repos: [{ packages: [
      pkg("foo-1.0-1.noarch", { provides: ["virt = 2.0", "plain"] }),
      pkg("foo-2.0-1.noarch"),
      pkg("bar-1:0.5-1.x86_64", { provides: ["virt"], files: ["/usr/bin/bar", "/etc/bar.conf"] }),
      pkg("baz-1-1.noarch", { requires: ["/usr/bin/bar"] }),
    ] }],
  })
  const names = (cap: string) => selectProvides(pool, cap).map((s) => pool.nevra(s)).sort()
  t.same(names("foo"), ["foo-1.0-1.noarch", "foo-2.0-1.noarch"], "self-provides")
  t.same(names("foo >= 2"), ["foo-2.0-1.noarch"])
  t.same(names("virt > 1"), ["bar-1:0.5-1.x86_64", "foo-1.0-1.noarch"], "an unversioned provide satisfies a versioned requirement (rpm)")
  t.same(names("virt > 3"), ["bar-1:0.5-1.x86_64"])
  t.same(names("bar = 1:0.5"), ["bar-1:0.5-1.x86_64"], "a requirement without release matches any release")
  t.same(names("bar = 0.5"), [], "epoch 1 is newer than no epoch")
  t.same(Array.from(pool.whatprovides(pool.dep("/usr/bin/bar", 0, ""))).map((s) => pool.nevra(s)), ["bar-1:0.5-1.x86_64"], "a required path is provided by its owner")
  t.same(Array.from(pool.whatprovides(pool.dep("/etc/bar.conf", 0, ""))), [], "paths nothing requires are not indexed")
  t.same(selectFile(pool, "/etc/bar.conf").map((s) => pool.nevra(s)), ["bar-1:0.5-1.x86_64"], "but a file selection still finds them")
})

t.test("arch policy", async (t) => {
  const p = archPolicy("x86_64")
  t.ok(p.score("x86_64") > 1 && p.score("i686") > p.score("x86_64"), "x86_64 beats i686")
  t.equal(p.score("noarch"), 1)
  t.equal(p.score("ppc64le"), 0, "a foreign arch cannot be installed")
  t.equal(archPolicy("").score("s390x"), 1, "no policy: everything goes")
  const pool = makePool({ repos: [{ packages: [pkg("lib-1-1.x86_64"), pkg("lib-1-1.i686"), pkg("app-1-1.x86_64", { requires: ["lib"] }), pkg("alien-1-1.aarch64")] }] })
  t.same(lines(pool, run(pool, [["install", "app"]])), ["install app-1-1.x86_64", "install lib-1-1.x86_64"], "the best arch, no multilib by accident")
  t.same(lines(pool, run(pool, [["install", "lib.i686"]])), ["install lib-1-1.i686"], "multilib by request")
  t.same(lines(pool, run(pool, [["install", "lib.i686"], ["install", "lib.x86_64"]])), ["install lib-1-1.i686", "install lib-1-1.x86_64"], "both colors side by side")
  t.match(run(pool, [["install", "alien"]]).problems[0]?.summary, /does not have a compatible architecture|is not installable/)
})

t.test("selections", async (t) => {
  const pool = makePool({ repos: [{ packages: [pkg("python3-foo-1.2-3.fc40.noarch"), pkg("python3-foo-1.3-1.fc40.noarch"), pkg("bash-1:5.2-1.x86_64", { files: ["/bin/sh"] }), pkg("bash-1:5.2-1.i686")] }] })
  const nevras = (spec: string) => select(pool, spec).solvables.map((s) => pool.nevra(s)).sort()
  t.same(nevras("python3-foo"), ["python3-foo-1.2-3.fc40.noarch", "python3-foo-1.3-1.fc40.noarch"])
  t.same(nevras("python3-foo-1.2"), ["python3-foo-1.2-3.fc40.noarch"])
  t.same(nevras("python3-foo-1.3-1.fc40"), ["python3-foo-1.3-1.fc40.noarch"])
  t.same(nevras("python3-foo-1.3-1.fc40.noarch"), ["python3-foo-1.3-1.fc40.noarch"])
  t.same(nevras("bash.i686"), ["bash-1:5.2-1.i686"])
  t.same(nevras("bash-1:5.2-1.x86_64"), ["bash-1:5.2-1.x86_64"])
  t.same(nevras("bash-0:5.2"), [], "a wrong epoch matches nothing")
  t.same(nevras("python3-*"), ["python3-foo-1.2-3.fc40.noarch", "python3-foo-1.3-1.fc40.noarch"])
  t.same(nevras("/bin/sh"), ["bash-1:5.2-1.x86_64"])
  t.same(nevras("python3-foo >= 1.3"), ["python3-foo-1.3-1.fc40.noarch"])
  t.equal(select(pool, "nothing-like-this").solvables.length, 0)
  t.same(selectGlob(pool, "ba?h").length, 2)
  t.same(selectNevra(pool, "bash").length, 0, "a bare name is not a NEVRA form")
})

t.test("strings read back from the arena alone (as from a snapshot) are the ones interned", async (t) => {
  const texts = ["glibc", "", "pâté-1.0", "名前", "emoji-😀", "\ufeffbom", "ï-starts-with-c3", "\uf000-starts-with-ef", "x".repeat(300), "bad\u0000nul"]
  const strings = new StringPool()
  const ids = texts.map((x) => strings.intern(x))
  // a pool from the same arrays has no JavaScript strings cached: every str() decodes UTF-8
  const fresh = new StringPool(strings.data())
  ids.forEach((id, i) => t.equal(fresh.str(id), new TextDecoder().decode(new TextEncoder().encode(texts[i])), JSON.stringify(texts[i])))
  t.equal(fresh.str(ids[5]!), "bom", "a leading byte-order mark is dropped, as TextDecoder does")
})

t.test("snapshots load what was saved, and refuse what is not one", async (t) => {
  const pool = makePool({
    installed: [pkg("a-1-1.noarch", { requires: ["b"] }), pkg("b-1-1.noarch")],
    repos: [{ name: "r", priority: 5, packages: [pkg("a-2-1.noarch", { requires: ["(b >= 2 or c)"], files: ["/usr/bin/a"] }), pkg("b-2-1.noarch"), pkg("c-1-1.x86_64", { requires: ["/usr/bin/a"] })] }],
  })
  const before = lines(pool, run(pool, [["upgrade"]]))
  const bytes = saveSnapshot(pool, { hello: "world" })
  const { pool: back, meta } = loadSnapshot(bytes)
  t.same(meta, { hello: "world" })
  t.equal(back.count, pool.count)
  for (let s = 1; s < pool.count; s++) {
    t.equal(back.nevra(s), pool.nevra(s))
    for (let k = 0; k < 8; k++) t.same(Array.from(back.depsOf(s, k)).map((d) => back.formatDep(d)), Array.from(pool.depsOf(s, k)).map((d) => pool.formatDep(d)))
  }
  t.same(back.repos.map((r) => [r.name, r.priority, r.installed]), pool.repos.map((r) => [r.name, r.priority, r.installed]))
  t.same(lines(back, run(back, [["upgrade"]])), before, "the same answer from the snapshot")
  t.same(lines(back, run(back, [["install", "c"]])), lines(pool, run(pool, [["install", "c"]])), "file provides survive")
  const unaligned = new Uint8Array(bytes.length + 1)
  unaligned.set(bytes, 1)
  t.equal(loadSnapshot(unaligned.subarray(1)).pool.count, pool.count, "loads from unaligned bytes")
  t.throws(() => loadSnapshot(bytes.subarray(0, 20)), { name: "SnapshotError" })
  t.throws(() => loadSnapshot(new TextEncoder().encode("\x10\0\0\0\0\0\0\0{\"magic\":\"nope\"}")), { name: "SnapshotError" })
  t.equal(back.depsOf(1, K.requires).length, 1)
})
