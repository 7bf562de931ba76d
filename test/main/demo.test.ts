/**
 * The README's main job (`npm run demo`, scripts/demo.mjs) end to end, in a temporary scratch
 * area: compose v1 from the fixture distribution, deploy it to a scratch sysroot, layer a
 * package, compose v2, upgrade with the layer carried over, roll back, status and history.
 */
import t from "tap"
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { sysrootTmp } from "../helpers/sysroot.js"

t.test("npm run demo: the main job runs end to end and says what happened", async (t) => {
  const scratch = join(sysrootTmp(t), "scratch")
  const r = spawnSync(process.execPath, [join(process.cwd(), "scripts", "demo.mjs")], {
    encoding: "utf8", env: { ...process.env, STRATA_SCRATCH: scratch }, maxBuffer: 1 << 26,
  })
  t.equal(r.status, 0, `the demo exits 0${r.status ? `: ${r.stderr.trim().split("\n").slice(-3).join(" / ")}` : ""}`)
  const out = r.stdout
  t.match(out, /No apparent changes since previous commit/, "a second compose with unchanged inputs is a no-op")
  const steps = out.split(/^\$ strata /m)
  const after = (cmd: RegExp): string => steps.find((s) => cmd.test(s.split("\n")[0]!)) ?? ""
  const statusAfter = (n: number): string => steps.filter((s) => /^status /.test(s))[n] ?? ""
  t.match(after(/^install extra-a/), /extra-a/, "install reports the layered package")
  t.match(statusAfter(0), /LayeredPackages: extra-a/, "status after install shows the layer")
  t.match(statusAfter(1), /Version: fixture\.1 /, "after the upgrade the default runs v2 (version fixture.1)")
  t.match(statusAfter(1).split("\n\n")[0]!, /LayeredPackages: extra-a/, "the layer was carried over the upgrade")
  t.match(after(/^db diff/), /Upgraded:\n\s+\S+ 1\.0-1 -> 2\.0-1/, "db diff lists the packages v2 upgraded")
  t.match(statusAfter(2).split("\n\n")[0]!, /Version: fixture /, "after the rollback the default is v1 again")
  const history = after(/^history/)
  for (const kind of ["deploy", "install", "upgrade", "rollback"]) t.match(history, new RegExp(kind), `history records the ${kind}`)
  t.match(history, /pulled vendor:strata\/fixture\/x86_64\/base: [0-9a-f]{12} \(version fixture\.1\), from [0-9a-f]{12}/, "and what the upgrade pulled")
  t.match(after(/^log verify/), /ok|verified|intact/i, "the event log's hash chain verifies")
})
