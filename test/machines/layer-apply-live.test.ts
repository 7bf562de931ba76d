/**
 * `strata install --apply-live` on a sysroot that is not the running system: refused with one
 * line and a non-zero exit before anything is read or written — unbooted, and "booted" only by a
 * run dir (staging tests' --run-dir) while no deployment of the sysroot is the running `/`.
 */
import t from "tap"
import { execFileSync } from "node:child_process"
import { sysrootTmp } from "../helpers/sysroot.js"
import { deployments, lst, makeLayerSysroot } from "./layer-fixture.js"
import { observe } from "./upgrade-fixture.js"

const refs = (S: string): string => execFileSync("ostree", [`--repo=${S}/ostree/repo`, "refs"], { encoding: "utf8" })

t.test("--apply-live is refused on a sysroot that is not booted; nothing changes", async (t) => {
  const dir = sysrootTmp(t)
  const { S } = await makeLayerSysroot(t, dir, { booted: true })
  const state = async (booted: boolean) => JSON.stringify({ o: await observe(S), origins: (await deployments(S, booted)).map((d) => d.origin), refs: refs(S) })
  for (const booted of [false, true]) {
    const before = await state(booted)
    const r = lst(S, ["install", "--apply-live", "hello"], { booted })
    const what = booted ? "run dir, not running" : "unbooted"
    t.equal(r.status, 2, `${what}: exit 2`)
    t.match(r.stderr, /--apply-live needs a booted system; .* is not booted/, `${what}: ${r.stderr.trim()}`)
    t.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line`)
    t.equal(await state(booted), before, `${what}: nothing changed`)
  }
  // and without --apply-live the same install goes through (the refusal is the flag's, not the request's)
  t.equal(lst(S, ["install", "hello"]).status, 0)
})
