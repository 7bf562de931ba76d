import t from "tap"
import { loadTreefile, canonicalJson, splitPackages, evaluateCondition, type Treefile, TreefileError } from "../../src/formats/treefile.js"

const load = (files: Record<string, string>, root = "tf/fixture.yaml", basearch = "x86_64", variables?: Record<string, string>): Treefile =>
  loadTreefile({
    path: root,
    basearch,
    variables,
    readFile: (p) => {
      const v = files[p]
      if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" })
      return v
    },
  })

const error = (files: Record<string, string>, root = "tf/fixture.yaml", basearch = "x86_64"): string => {
  try {
    load(files, root, basearch)
  } catch (e) {
    if (!(e instanceof TreefileError)) throw e
    return e.message
  }
  throw new Error("no error")
}

t.test("rpm-ostree's docs example: ref with ${basearch}, packages split on whitespace, defaults", async (t) => {
  const tf = load({
    "tf/fixture.yaml": [
      "ref: fedora/${basearch}/coreos/testing-devel",
      "repos:",
      "  - fedora",
      "packages:",
      "  - kernel systemd",
      "  - rpm-ostree   nss-altfiles",
      "packages-x86_64:",
      "  - grub2 efibootmgr",
      "packages-aarch64:",
      "  - uboot-tools",
      "",
    ].join("\n"),
  })
  t.equal(tf.ref, "fedora/x86_64/coreos/testing-devel")
  t.same(tf.packages, ["kernel", "systemd", "rpm-ostree", "nss-altfiles", "grub2", "efibootmgr"])
  t.equal(tf.recommends, true)
  t.equal(tf.documentation, true)
  t.equal(tf["machineid-compat"], true)
  t.equal(tf["boot-location"], "modules")
  t.same(tf["exclude-packages"], [])
  t.notOk("packages-x86_64" in tf, "arch packages folded into packages")
  const a = load({ "tf/fixture.yaml": "ref: r/${basearch}\npackages: [a]\npackages-aarch64: [uboot-tools]\n" }, undefined, "aarch64")
  t.same(a.packages, ["a", "uboot-tools"])
  t.equal(a.ref, "r/aarch64")
})

t.test("JSON treefiles (rpm-ostree's original format)", async (t) => {
  const tf = load({ "tf/a.json": JSON.stringify({ ref: "x/${releasever}", releasever: 40, packages: ["bash"], documentation: false }, null, 2) }, "tf/a.json")
  t.equal(tf.ref, "x/40")
  t.equal(tf.documentation, false)
  t.match(error({ "tf/a.json": '{\n  "ref": "x",\n  "packages": {"a": 1}\n}\n' }, "tf/a.json"), /^tf\/a\.json:3: packages: expected a list of strings, got a map$/)
})

t.test("include chains: lists concatenate with includes first, scalars overridden by the child, maps merged", async (t) => {
  const tf = load({
    "tf/fixture.yaml": "include: base/common.yaml\nref: child\npackages: [c]\nrecommends: false\nadd-commit-metadata: {b: 2, k: child}\npostprocess: ['echo child']\n",
    "tf/base/common.yaml": "include: [a.yaml, b.yaml]\nref: common\npackages: [common]\nadd-files: [[f.conf, /usr/etc/f.conf]]\n",
    "tf/base/a.yaml": "ref: a\npackages: [a1, a2]\nadd-commit-metadata: {a: 1, k: a}\npostprocess: ['echo a']\ndocumentation: false\n",
    "tf/base/b.yaml": "packages: [b]\ndocumentation: true\nrecommends: true\n",
  })
  t.equal(tf.ref, "child")
  t.same(tf.packages, ["a1", "a2", "b", "common", "c"])
  t.same(tf.postprocess, ["echo a", "echo child"])
  t.equal(tf.recommends, false, "child overrides")
  t.equal(tf.documentation, true, "a later include overrides an earlier one")
  t.same(tf["add-commit-metadata"], { a: 1, b: 2, k: "child" })
  t.same(tf["add-files"], [["tf/base/f.conf", "/usr/etc/f.conf"]], "add-files source relative to the declaring file")
  t.notOk("include" in tf)
})

t.test("arch-include and conditional-include", async (t) => {
  const files = {
    "tf/fixture.yaml": [
      "ref: r",
      "releasever: '40'",
      "variables:",
      "  stream: testing",
      "  extras: true",
      "packages: [base]",
      "arch-include:",
      "  x86_64: x86.yaml",
      "  aarch64: [arm.yaml]",
      "conditional-include:",
      "  - if: basearch == \"x86_64\"",
      "    include: cond-x86.yaml",
      "  - if:",
      "      - releasever >= 39",
      "      - stream != \"stable\"",
      "    include: new.yaml",
      "  - if: releasever < 39",
      "    include: old.yaml",
      "  - if: extras",
      "    include: extras.yaml",
      "",
    ].join("\n"),
    "tf/x86.yaml": "packages: [grub2]\n",
    "tf/arm.yaml": "packages: [uboot]\n",
    "tf/cond-x86.yaml": "packages: [microcode]\n",
    "tf/new.yaml": "packages: [new]\n",
    "tf/old.yaml": "packages: [old]\n",
    "tf/extras.yaml": "packages: [extra]\n",
  }
  t.same(load(files).packages, ["grub2", "microcode", "new", "extra", "base"])
  t.same(load(files, undefined, "aarch64").packages, ["uboot", "new", "extra", "base"])
  t.match(error({ ...files, "tf/fixture.yaml": "ref: r\nconditional-include:\n  - if: nosuch == 1\n    include: x.yaml\n" }), /^tf\/fixture\.yaml:3: conditional-include: unknown variable `nosuch`/)
})

t.test("include cycles and missing includes are refused with the including line", async (t) => {
  t.match(
    error({ "tf/fixture.yaml": "ref: r\ninclude: a.yaml\n", "tf/a.yaml": "packages: [x]\ninclude: fixture.yaml\n" }),
    /^tf\/a\.yaml:2: include: include cycle: tf\/fixture\.yaml → tf\/a\.yaml → tf\/fixture\.yaml$/,
  )
  t.match(error({ "tf/fixture.yaml": "ref: r\ninclude: [nope.yaml]\n" }), /^tf\/fixture\.yaml:2: include: cannot read tf\/nope\.yaml: no such file$/)
})

t.test("unknown fields and wrong types name file, line and field", async (t) => {
  const base = "ref: r\n"
  const cases: Array<[string, RegExp]> = [
    ["repos: [a]\n\n\n\n\n\n\n\n\n\npackages:\n  foo: bar\n", /^tf\/fixture\.yaml:13: packages: expected a list of strings, got a map$/],
    ["packagez: [a]\n", /^tf\/fixture\.yaml:2: packagez: unknown field$/],
    ["recommends: yes\n", /^tf\/fixture\.yaml:2: recommends: expected a boolean, got a string \("yes"\)$/],
    ["packages:\n  - a\n  - [b]\n", /^tf\/fixture\.yaml:4: packages: expected a list of strings, got a list$/],
    ["add-files:\n  - [only-one]\n", /^tf\/fixture\.yaml:3: add-files: expected a list of 2 strings, got 1$/],
    ["boot-location: legacy\n", /^tf\/fixture\.yaml:2: boot-location: expected one of new, modules, kernel-install, got "legacy"$/],
    ["check-passwd: {type: file}\n", /^tf\/fixture\.yaml:2: check-passwd: type file needs a `filename`$/],
    ["ref: twice\n", /^tf\/fixture\.yaml:2:.*(unique|twice)/i],
    ["packages: [a\n", /^tf\/fixture\.yaml:\d+: \(syntax\): YAML error/],
    ["automatic-version-suffix: '--'\n", /^tf\/fixture\.yaml:2: automatic-version-suffix: expected a single character/],
  ]
  for (const [text, re] of cases) t.match(error({ "tf/fixture.yaml": base + text }), re, text)
  t.match(error({ "tf/fixture.yaml": "packages: [a]\n" }), /^tf\/fixture\.yaml:1: ref: missing \(required\)$/)
  t.match(error({ "tf/fixture.yaml": "ref: r/${stream}\n" }), /^tf\/fixture\.yaml:1: ref: unknown variable \$\{stream\}$/)
  t.match(error({ "tf/fixture.yaml": "- a\n" }), /^tf\/fixture\.yaml:1: \(top level\): expected a map of fields, got a list$/)
  t.match(error({ "tf/fixture.txt": "ref: r\n" }, "tf/fixture.txt"), /unknown treefile format/)
  // an error in an included file names that file
  t.match(error({ "tf/fixture.yaml": "ref: r\ninclude: inc.yaml\n", "tf/inc.yaml": "\nunits: 3\n" }), /^tf\/inc\.yaml:2: units: expected a list of strings, got a number \(3\)$/)
})

t.test("the fields of issue 7 with their values", async (t) => {
  const tf = load({
    "tf/fixture.yaml": `
ref: fixture/\${basearch}/base
automatic-version-prefix: "1"
repos: [fixture]
packages: [fixture-base]
exclude-packages: [fixture-conflict]
recommends: false
documentation: false
install-langs: [en_US]
postprocess:
  - |
    #!/bin/sh
    echo hi
postprocess-script: post.sh
add-files:
  - [motd, /usr/etc/motd]
remove-files: [usr/share/doc/x]
remove-from-packages:
  - [fixture-base, "/usr/share/fixture/.*", "/usr/share/other"]
units: [fixture.service]
default-target: multi-user.target
etc-group-members: [wheel]
check-passwd: {type: file, filename: passwd}
check-groups: {type: none}
readonly-executables: true
boot-location: new
machineid-compat: false
add-commit-metadata:
  fixture.key: value
  fixture.num: 3
`,
  })
  t.equal(tf.ref, "fixture/x86_64/base")
  t.equal(tf["automatic-version-prefix"], "1")
  t.same(tf["install-langs"], ["en_US"])
  t.equal(tf.postprocess[0], "#!/bin/sh\necho hi\n")
  t.equal(tf["postprocess-script"], "tf/post.sh")
  t.same(tf["remove-from-packages"], [["fixture-base", "/usr/share/fixture/.*", "/usr/share/other"]])
  t.same(tf["check-passwd"], { type: "file", filename: "tf/passwd" })
  t.equal(tf["boot-location"], "modules", "new is modules")
  t.equal(tf["machineid-compat"], false)
  t.equal(tf["readonly-executables"], true)
  t.same(tf["add-commit-metadata"], { "fixture.key": "value", "fixture.num": 3 })
  const j = canonicalJson(tf)
  t.equal(j, canonicalJson(JSON.parse(j)), "canonical JSON is stable")
  t.ok(j.indexOf('"add-commit-metadata"') < j.indexOf('"ref"'), "sorted keys")
})

t.test("package splitting and conditions", async (t) => {
  t.same(splitPackages("  a b\tc  "), ["a", "b", "c"])
  t.same(splitPackages("'foo >= 1.0' (a or b) c"), ["foo >= 1.0", "(a or b)", "c"])
  t.throws(() => splitPackages("(a or b"))
  const vars = new Map<string, string | number | boolean>([["basearch", "x86_64"], ["releasever", "40"], ["on", true]])
  t.equal(evaluateCondition('basearch == "x86_64"', vars), true)
  t.equal(evaluateCondition("releasever == 40", vars), true)
  t.equal(evaluateCondition("releasever > 40", vars), false)
  t.equal(evaluateCondition("on", vars), true)
  t.throws(() => evaluateCondition("basearch < 3", vars), /needs numbers/)
  t.throws(() => evaluateCondition("basearch == x86_64", vars), /quote strings/)
})

t.test("${var} in automatic-version-prefix, mutate-os-release and add-commit-metadata; edition 2024 and container defaults", async (t) => {
  const tf = load({
    "tf/fixture.yaml": `
ref: os/\${stream}
releasever: 41
variables: { stream: testing }
automatic-version-prefix: "\${releasever}.<date:%Y%m%d>"
mutate-os-release: "\${releasever}"
add-commit-metadata: { os.stream: "\${stream}", os.n: 3 }
packages: [a]
`,
  })
  t.equal(tf["automatic-version-prefix"], "41.<date:%Y%m%d>")
  t.equal(tf["mutate-os-release"], "41")
  t.same(tf["add-commit-metadata"], { "os.stream": "testing", "os.n": 3 })
  t.equal(tf["tmp-is-dir"], false, "edition 2014: /tmp is a link")
  t.equal(load({ "tf/fixture.yaml": "ref: x\nedition: '2024'\npackages: [a]\n" })["tmp-is-dir"], true, "edition 2024: /tmp is a directory")
  const c = load({ "tf/fixture.yaml": "ref: x\ncontainer: true\npackages: [a]\n" })
  t.equal(c["tmp-is-dir"], true, "container implies tmp-is-dir")
  t.equal(c.selinux, false, "container implies selinux: false")
  t.equal(load({ "tf/fixture.yaml": "ref: x\ncontainer: true\ntmp-is-dir: false\npackages: [a]\n" })["tmp-is-dir"], false, "an explicit tmp-is-dir wins")
  t.match(error({ "tf/fixture.yaml": "ref: x\nmutate-os-release: '${nope}'\npackages: [a]\n" }), /mutate-os-release: .*nope/)
})
