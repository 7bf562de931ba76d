// Jobs, policy and explanations: install/erase/upgrade/distupgrade/lock/favor, clean
// dependencies, weak dependencies, repository priorities and excludes, problems in dnf's words.
import t from "tap"
import { lines, makePool, pkg, run } from "./helpers.js"
import { select } from "../../src/solver/selection.js"
import { solve } from "../../src/solver/solver.js"
import { checkSolution } from "../../src/solver/verify.js"

t.test("install: best version, fewest new packages, name order, keep installed", async (t) => {
  const pool = makePool({
    installed: [pkg("lib-1-1.noarch")],
    repos: [{ packages: [
      pkg("lib-2-1.noarch"),
      pkg("app-1-1.noarch", { requires: ["mta"] }),
      pkg("exim-1-1.noarch", { provides: ["mta"], requires: ["exim-config"] }),
      pkg("exim-config-1-1.noarch"),
      pkg("postfix-1-1.noarch", { provides: ["mta"] }),
      pkg("zmailer-1-1.noarch", { provides: ["mta"] }),
      pkg("tool-1-1.noarch", { requires: ["lib"] }),
      pkg("tool-2-1.noarch", { requires: ["lib"] }),
    ] }],
  })
  t.same(lines(pool, run(pool, [["install", "app"]])), ["install app-1-1.noarch", "install postfix-1-1.noarch"], "postfix pulls in nothing more; by name it beats zmailer")
  t.same(lines(pool, run(pool, [["install", "tool"]])), ["install tool-2-1.noarch"], "newest tool; the installed lib stays")
  t.same(lines(pool, run(pool, [["install", "lib"]])), [], "an installed package satisfies its install request")
  t.same(lines(pool, run(pool, [["install", "lib-2-1.noarch"]])), ["upgrade lib-1-1.noarch -> lib-2-1.noarch"], "a named version is installed")
})

t.test("erase, with and without clean dependencies", async (t) => {
  const installed = [pkg("app-1-1.noarch", { requires: ["lib"] }), pkg("lib-1-1.noarch", { requires: ["base"] }), pkg("base-1-1.noarch"), pkg("other-1-1.noarch", { requires: ["base"] })]
  const pool = makePool({ installed })
  const r = run(pool, [["erase", "lib"]])
  t.notOk(r.ok, "without allowUninstall, app's requirement is a problem")
  t.equal(r.problems[0]!.summary, "package app-1-1.noarch requires lib, but none of the providers can be installed")
  t.same(r.problems[0]!.solutions.map((s) => s.text), ["allow deinstallation of app-1-1.noarch", "do not ask to deinstall lib"])
  t.same(lines(pool, run(pool, [["erase", "lib"]], { allowUninstall: true })), ["erase app-1-1.noarch", "erase lib-1-1.noarch"], "dnf remove: dependents go too")
  const pool2 = makePool({ installed: installed.filter((p) => p.name !== "other") })
  t.same(lines(pool2, solve(pool2, { jobs: [{ op: "erase", what: select(pool2, "app"), cleandeps: true }] })), ["erase app-1-1.noarch", "erase base-1-1.noarch", "erase lib-1-1.noarch"], "clean dependencies")
  t.same(lines(pool, solve(pool, { jobs: [{ op: "erase", what: select(pool, "app"), cleandeps: true }] })), ["erase app-1-1.noarch", "erase lib-1-1.noarch"], "but not what something else still needs")
})

t.test("upgrade, distupgrade, lock", async (t) => {
  const pool = makePool({
    installed: [pkg("a-1-1.noarch"), pkg("b-2-1.noarch"), pkg("c-1-1.noarch"), pkg("old-1-1.noarch")],
    repos: [{ packages: [pkg("a-2-1.noarch", { requires: ["d"] }), pkg("a-3-1.noarch", { requires: ["missing"] }), pkg("b-1-1.noarch"), pkg("c-1-1.noarch"), pkg("d-1-1.noarch"), pkg("new-1-1.noarch", { obsoletes: ["old < 2"] })] }],
  })
  // an obsoleting package is listed as installed, and the old one as obsoleted by it (libsolv's testcases list both)
  t.same(lines(pool, run(pool, [["upgrade"]])), ["install d-1-1.noarch", "install new-1-1.noarch", "obsolete old-1-1.noarch -> new-1-1.noarch", "upgrade a-1-1.noarch -> a-2-1.noarch"], "the best installable update; an obsoleting package replaces")
  t.same(lines(pool, run(pool, [["upgrade", "a"]])), ["install d-1-1.noarch", "upgrade a-1-1.noarch -> a-2-1.noarch"], "only what was named")
  t.same(lines(pool, run(pool, [["distupgrade"]])), ["downgrade b-2-1.noarch -> b-1-1.noarch", "install d-1-1.noarch", "install new-1-1.noarch", "obsolete old-1-1.noarch -> new-1-1.noarch", "upgrade a-1-1.noarch -> a-2-1.noarch"], "distupgrade follows the repositories, down too")
  t.same(lines(pool, run(pool, [["upgrade"], ["lock", "a"]])), ["install new-1-1.noarch", "obsolete old-1-1.noarch -> new-1-1.noarch"], "a lock keeps an installed package as it is")
  t.same(lines(pool, run(pool, [["install", "d"], ["lock", "d"]])).length, 0, "a locked-out package is not installed…")
  t.equal(run(pool, [["install", "d"], ["lock", "d"]]).problems[0]?.summary, "conflicting requests", "…and asking for it is a conflicting request")
})

t.test("favor and disfavor", async (t) => {
  const pool = makePool({ repos: [{ packages: [pkg("a-1-1.noarch", { requires: ["x"] }), pkg("b-1-1.noarch", { provides: ["x"] }), pkg("c-1-1.noarch", { provides: ["x"] })] }] })
  t.same(lines(pool, run(pool, [["install", "a"]])), ["install a-1-1.noarch", "install b-1-1.noarch"])
  t.same(lines(pool, run(pool, [["install", "a"], ["favor", "c"]])), ["install a-1-1.noarch", "install c-1-1.noarch"])
  t.same(lines(pool, run(pool, [["install", "a"], ["disfavor", "b"]])), ["install a-1-1.noarch", "install c-1-1.noarch"])
})

t.test("weak dependencies", async (t) => {
  const pool = makePool({ repos: [{ packages: [
    pkg("editor-1-1.noarch", { recommends: ["spell"], suggests: ["docs"] }),
    pkg("spell-1-1.noarch"), pkg("docs-1-1.noarch"),
    pkg("editor-lang-1-1.noarch", { supplements: ["(editor and lang)"] }), pkg("lang-1-1.noarch"),
    pkg("bad-rec-1-1.noarch", { recommends: ["broken"] }), pkg("broken-1-1.noarch", { requires: ["nothing-provides-this"] }),
  ] }] })
  const r = run(pool, [["install", "editor"]])
  t.same(lines(pool, r), ["install editor-1-1.noarch", "install spell-1-1.noarch"], "recommends, not suggests")
  t.same(r.weak.map((s) => pool.nevra(s)), ["spell-1-1.noarch"])
  t.same(lines(pool, run(pool, [["install", "editor"]], { ignoreRecommends: true })), ["install editor-1-1.noarch"])
  t.same(lines(pool, run(pool, [["install", "editor"], ["install", "lang"]])), ["install editor-1-1.noarch", "install editor-lang-1-1.noarch", "install lang-1-1.noarch", "install spell-1-1.noarch"], "supplements")
  t.same(lines(pool, run(pool, [["install", "bad-rec"]])), ["install bad-rec-1-1.noarch"], "an uninstallable recommendation is skipped")
})

t.test("repository priorities and excludes", async (t) => {
  const pool = makePool({ repos: [{ name: "main", priority: -99, packages: [pkg("x-2-1.noarch")] }, { name: "pinned", priority: -10, packages: [pkg("x-1-1.noarch")] }] })
  t.same(lines(pool, run(pool, [["install", "x"]])), ["install x-1-1.noarch"], "the higher-priority repository wins over the newer version")
  const pool2 = makePool({ repos: [{ packages: [pkg("x-2-1.noarch"), pkg("x-1-1.noarch"), pkg("y-1-1.noarch", { requires: ["x >= 2"] })] }] })
  for (const s of select(pool2, "x-2-1.noarch").solvables) pool2.exclude(s)
  t.same(lines(pool2, run(pool2, [["install", "x"]])), ["install x-1-1.noarch"], "an excluded package is never picked")
  const r = run(pool2, [["install", "y"]])
  t.notOk(r.ok)
  t.ok(r.problems[0]!.rules.includes("package y-1-1.noarch requires x >= 2, but none of the providers can be installed"))
  t.ok(r.problems[0]!.rules.includes("package x-2-1.noarch is filtered out by exclude filtering"))
})

t.test("problems in dnf's words", async (t) => {
  const pool = makePool({
    installed: [pkg("keep-1-1.noarch")],
    repos: [{ packages: [
      pkg("needs-1-1.noarch", { requires: ["ghost >= 2"] }),
      pkg("wants-1-1.noarch", { requires: ["needs"] }),
      pkg("fights-1-1.noarch", { conflicts: ["keep"] }),
      pkg("a-1-1.noarch", { requires: ["b"] }), pkg("b-1-1.noarch", { conflicts: ["a"] }),
      pkg("x-1-1.noarch"), pkg("x-2-1.noarch"),
    ] }],
  })
  t.same(run(pool, [["install", "needs"]]).problems.map((p) => p.summary), ["nothing provides ghost >= 2 needed by needs-1-1.noarch"])
  const w = run(pool, [["install", "wants"]]).problems[0]!
  t.equal(w.summary, "nothing provides ghost >= 2 needed by needs-1-1.noarch")
  t.ok(w.rules.includes("package wants-1-1.noarch requires needs, but none of the providers can be installed"))
  const f = run(pool, [["install", "fights"]]).problems[0]!
  t.equal(f.summary, "package fights-1-1.noarch conflicts with keep provided by keep-1-1.noarch")
  t.same(f.solutions.map((s) => s.text), ["allow deinstallation of keep-1-1.noarch", "do not ask to install fights"])
  t.same(lines(pool, run(pool, [["install", "fights"]], { allowUninstall: true })), ["erase keep-1-1.noarch", "install fights-1-1.noarch"], "--allowerasing")
  t.match(run(pool, [["install", "a"]]).problems[0]!.summary, /^package (a-1-1\.noarch requires b, but none of the providers can be installed|b-1-1\.noarch conflicts with a provided by a-1-1\.noarch)$/)
  t.equal(run(pool, [["install", "x-1-1.noarch"], ["install", "x-2-1.noarch"]]).problems[0]!.summary, "cannot install both x-1-1.noarch and x-2-1.noarch")
  t.same(run(pool, [["install", "nope"]]).problems.map((p) => p.summary), ["nothing provides requested nope"])
  const two = run(pool, [["install", "needs"], ["install", "fights"]])
  t.equal(two.problems.length, 2, "every problem is reported, not just the first")
  // an installed package can always be replaced by one obsoleting it: that is not a conflict
  const pool2 = makePool({ installed: [pkg("keep-1-1.noarch")], repos: [{ packages: [pkg("fights-1-1.noarch", { conflicts: ["keep"] }), pkg("replacer-1-1.noarch", { obsoletes: ["keep"] })] }] })
  t.same(lines(pool2, run(pool2, [["install", "fights"]])), ["install fights-1-1.noarch", "install replacer-1-1.noarch", "obsolete keep-1-1.noarch -> replacer-1-1.noarch"])
})

t.test("the independent checker", async (t) => {
  t.same(checkSolution([pkg("a-1-1.noarch", { requires: ["b >= 2", "(c or d)"] }), pkg("b-2-1.noarch"), pkg("d-1-1.noarch")]), [])
  t.match(checkSolution([pkg("a-1-1.noarch", { requires: ["b >= 2"] }), pkg("b-1-1.noarch")]), [/requires b >= 2/])
  t.match(checkSolution([pkg("a-1-1.noarch", { conflicts: ["b"] }), pkg("b-1-1.noarch")]), [/conflicts with b provided by b-1-1/])
  t.match(checkSolution([pkg("a-1-1.noarch", { obsoletes: ["b < 2"] }), pkg("b-1-1.noarch")]), [/obsoletes b < 2/])
  t.match(checkSolution([pkg("a-1-1.x86_64"), pkg("a-2-1.x86_64")]), [/both a-1-1.x86_64 and a-2-1.x86_64/])
  t.same(checkSolution([pkg("a-1-1.x86_64"), pkg("a-1-1.i686")]), [], "multilib pairs are fine")
  t.same(checkSolution([pkg("a-1-1.noarch", { requires: ["(b if c)"], conflicts: ["(d if c)"] }), pkg("d-1-1.noarch")]), [], "if: condition false")
  t.match(checkSolution([pkg("a-1-1.noarch", { requires: ["(b if c)"] }), pkg("c-1-1.noarch")]), [/requires \(b if c\)/])
  t.match(checkSolution([pkg("a-1-1.noarch", { conflicts: ["(d if c)"] }), pkg("c-1-1.noarch"), pkg("d-1-1.noarch")]), [/conflicts with \(d if c\)/])
  t.same(checkSolution([pkg("a-1-1.noarch", { requires: ["/bin/sh"] }), pkg("bash-1-1.noarch", { files: ["/bin/sh"] })]), [], "file requirements")
})
