// runScriptlet in a minimal root (filesystem + busybox, no scripts): rpm's argument passing,
// stdin, a clean environment, no network, the timeout, and the error's output tail.
import t from "tap"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { buildDistro } from "../helpers/distro.js"
import { applyPackages } from "../../src/io/rpm/apply.js"
import { runScriptlet, scriptOf, fileTriggers, ScriptletError, type Script } from "../../src/io/rpm/scriptlets.js"
import { readPackageFront } from "../../src/io/rpm/read.js"

const d = await buildDistro()
const sh = (body: string, prog = ["/bin/sh"]): Script => ({ kind: "post", prog, body, flags: 0 })

t.test("scriptlets in bubblewrap", async (t) => {
  const root = join(tmp(t), "root")
  await applyPackages({ root, cacheDir: join(tmp(t), "cache"), install: [{ path: d.v1["filesystem"]! }, { path: d.v1["busybox"]! }], scripts: false })
  const run = (script: Script, extra: Partial<Parameters<typeof runScriptlet>[0]> = {}) => runScriptlet({ root, pkg: "x-1-1.noarch", script, args: [1], ...extra })

  t.equal((await run(sh('echo "args:$1:$2:$#"'), { args: [2, 7] })).output, "args:2:7:2\n")
  t.equal((await run(sh("cat"), { stdin: "/a\n/b\n" })).output, "/a\n/b\n", "stdin reaches the script")
  t.same((await run(sh("env"), { prefixes: ["/opt/x"] })).output.split("\n").filter((l) => !l.startsWith("PWD=") && !l.startsWith("SHLVL=") && l).sort(),
    ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "RPM_INSTALL_PREFIX0=/opt/x", "RPM_INSTALL_PREFIX=/opt/x"], "only rpm's environment")
  t.equal((await run(sh("echo $1", ["/bin/sh", "-e"]))).output, "1\n", "interpreter arguments")
  t.equal((await run(sh("", ["/usr/bin/echo", "prog-only"]))).output, "prog-only 1\n", "-p program without a body gets $1")
  t.notMatch((await run(sh("cat /proc/net/dev"))).output, /eth|ens|enp|wlan|veth/, "no network interfaces but lo")
  await run(sh("echo written > /marker"))
  t.equal(readFileSync(join(root, "marker"), "utf8"), "written\n", "the root is / and writable")
  await run(sh("echo tmp > /tmp/x; echo run > /run/x"))
  t.notOk(existsSync(join(root, "tmp/x")) || existsSync(join(root, "run/x")), "/tmp and /run are tmpfs")

  // A tree composed for OSTree: /tmp is the dangling symlink tmp → sysroot/tmp.
  const { mkdirSync, renameSync, symlinkSync, readdirSync } = await import("node:fs")
  renameSync(join(root, "tmp"), join(root, "tmp.dir"))
  mkdirSync(join(root, "sysroot"), { recursive: true })
  symlinkSync("sysroot/tmp", join(root, "tmp"))
  t.equal((await run(sh("echo ok > /tmp/y && cat /tmp/y"))).output, "ok\n", "/tmp works through the ostree skeleton's symlink")
  t.same(readdirSync(join(root, "sysroot")), [], "and nothing was created in the tree")
  const { rmSync: rm } = await import("node:fs")
  rm(join(root, "tmp"))
  renameSync(join(root, "tmp.dir"), join(root, "tmp"))

  const slow = await run(sh("echo started; sleep 10"), { timeoutMs: 500 }).catch((e: unknown) => e)
  t.ok(slow instanceof ScriptletError)
  t.match((slow as ScriptletError).message, /%post scriptlet of x-1-1\.noarch failed \(timed out after 1 s\); its output:\n {2}started/)

  const many = await run(sh("for i in $(seq 1 30); do echo line $i; done; exit 3")).catch((e: unknown) => e)
  const m = (many as ScriptletError).message
  t.match(m, /failed \(exit status 3\); its output:\n {2}…\n {2}line 11\n/)
  t.match(m, /line 30$/)
  t.notMatch(m, /line 10\n/)
  t.equal((many as ScriptletError).output.split("\n").length, 31, "the whole output is kept on the error")
  t.match(String(await run(sh("x"), { args: [1] }).catch((e: Error) => e.message)), /exit status 127/)
  t.same(await run({ kind: "post", prog: ["<lua>"], body: "print(1)", flags: 0 }), { output: "", skipped: "%post of x-1-1.noarch is a Lua scriptlet; not run" })
})

t.test("scriptlets and file triggers as read from headers", async (t) => {
  const h = readPackageFront(d.v1["scripted"]!).header
  t.match(scriptOf(h, "pre"), { kind: "pre", prog: ["/bin/sh"], body: /echo "pre \$1 v1"/ })
  t.equal(scriptOf(h, "pretrans"), undefined)
  t.equal(scriptOf(readPackageFront(d.v1["hello"]!).header, "post"), undefined)
  const trig = fileTriggers(readPackageFront(d.v1["fixture-docs-index"]!).header, false)
  t.equal(trig.length, 1)
  t.match(trig[0], { prefix: "/usr/share/fixture-docs", script: { kind: "filetriggerin", prog: ["/bin/sh"], body: /while read -r p/ } })
  const trans = fileTriggers(readPackageFront(d.v1["fixture-docs-index"]!).header, true)
  t.equal(trans.length, 1)
  t.match(trans[0], { prefix: "/usr/lib64", script: { kind: "transfiletriggerin", body: /transtrigger/ } })
  t.same(fileTriggers(readPackageFront(d.v1["hello"]!).header, true), [])
})
