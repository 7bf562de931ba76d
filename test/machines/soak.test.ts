/**
 * Random-time SIGKILL soak (the short version; `npm run soak` for the long one): a loop of
 * toy deploys and pins, each child killed after a random delay (steps pause TOY_STEP_DELAY ms at
 * their crash points, so kills land mid-effect too), then `recover`; after every round the
 * invariants hold and the boot list is the old one or the new one. Kill times are random (the
 * seed is printed, STRATA_SOAK_SEED replays it); nothing about time is asserted.
 */
import t from "tap"
import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { recover } from "../../src/machines/runtime/index.js"
import { checkInvariants, copySysroot, foldLog, makeTemplate, tmpDir, toyDefinitions } from "./harness.js"
import { useToySysroot } from "./toy.js"
import { execFileSync } from "node:child_process"
import { loadSysroot } from "../../src/io/sysroot/read-state.js"
import { sysrootTmp } from "../helpers/sysroot.js"
import { checkSysroot, child as sysrootChild, childKilledAfter, cpA, makeSysroot } from "./sysroot-harness.js"

const revParse = (S: string, ref: string): string => execFileSync("ostree", [`--repo=${S}/ostree/repo`, "rev-parse", ref], { encoding: "utf8" }).trim()

const rounds = Number(process.env["STRATA_SOAK"] ?? 10)
const seed = Number(process.env["STRATA_SOAK_SEED"] ?? Date.now() % 1_000_000_007)

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
const prng = (a: number) => () => {
  a = (a + 0x6d2b79f5) | 0
  let x = Math.imul(a ^ (a >>> 15), 1 | a)
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}

const runKilled = (sysroot: string, args: string[], killAfterMs: number): Promise<NodeJS.Signals | null> =>
  new Promise((resolve) => {
    const p = spawn(process.execPath, [fileURLToPath(new URL("./toy-run.js", import.meta.url)), sysroot, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, TOY_STEP_DELAY: "30", STRATA_CRASH_AT: "" },
    })
    let timer: NodeJS.Timeout | undefined
    p.stderr!.once("data", () => (timer = setTimeout(() => p.kill("SIGKILL"), killAfterMs)))
    p.on("exit", (_code, signal) => {
      clearTimeout(timer)
      resolve(signal)
    })
  })

// STRATA_SOAK=0 runs only the real-sysroot part (the long soak is split across runs that way).
t.test(`random SIGKILLs during ${rounds} toy transactions (seed ${seed})`, { skip: rounds === 0 && "STRATA_SOAK=0" }, async (t) => {
  const random = prng(seed)
  const dir = tmpDir(t)
  const s = copySysroot(await makeTemplate(dir), join(dir, "s"))
  useToySysroot(s)
  writeFileSync(join(s, "notes"), "")
  let kills = 0
  for (let k = 0; k < rounds; k++) {
    const before = (await foldLog(s)).deployments
    const refs = before.order.map((id) => before.byId[id]!).map(({ stateroot, checksum, serial }) => ({ stateroot, checksum, serial }))
    const pin = k % 4 === 3
    const args = pin
      ? ["pin", JSON.stringify({ notes: join(s, "notes"), targets: refs.map((r) => ({ ...r, pinned: !before.byId[`${r.stateroot}-${r.checksum}.${r.serial}`]!.pinned, previous: before.byId[`${r.stateroot}-${r.checksum}.${r.serial}`]!.pinned })) })]
      : ["deploy", JSON.stringify({ checksum: `s${k}`, serial: 0, current: refs, bootversion: before.bootversion, keep: 1 })]
    const signal = await runKilled(s, args, Math.floor(random() * 450))
    if (signal === "SIGKILL") kills++
    await recover({ sysroot: s, definitions: toyDefinitions })
    const disk = await checkInvariants(t, s, `round ${k} (${pin ? "pin" : "deploy"}, ${signal ?? "finished"})`)
    const oldOrder = refs.map((r) => `${r.checksum}.${r.serial}`)
    const newOrder = pin ? oldOrder : [`s${k}.0`, ...oldOrder.slice(0, 1)]
    t.ok(
      JSON.stringify(disk.order) === JSON.stringify(oldOrder) || JSON.stringify(disk.order) === JSON.stringify(newOrder),
      `round ${k}: the boot list is the old one or the new one (${disk.order.join(", ")})`,
    )
  }
  t.ok(kills > 0, `${kills} of ${rounds} rounds were killed mid-way`)
})

/**
 * The same on real sysroots: deploy, rollback and cleanup in a loop, each child SIGKILLed after a
 * random delay (up to a little more than a clean run takes), then `strata recover`; after every
 * round the invariants of sysroot-harness.ts hold and the boot list is the old one or the new
 * one. STRATA_SOAK_KILLS kills (default 4; `npm run soak`: 1000).
 */
t.test(`random SIGKILLs during deploy/rollback/cleanup on a real sysroot (seed ${seed})`, async (t) => {
  const want = Number(process.env["STRATA_SOAK_KILLS"] ?? 4)
  const random = prng(seed + 1)
  const dir = sysrootTmp(t)
  const { S: template } = await makeSysroot(dir)
  const S = cpA(template, join(dir, "s"))
  // Kill times span a clean deploy (the longest of the three) from the child's "ready" on.
  const first = await childKilledAfter(S, ["deploy", "testos", "testos/v2"], 1 << 30)
  if (first.signal) throw new Error("the first deploy was killed")
  const span = Math.max(100, first.ranMs * 1.2)
  const name = (d: { checksum: string; serial: number }) => `${d.checksum}.${d.serial}`
  let kills = 0
  for (let k = 0; kills < want && k < want * 8; k++) {
    const old = (await loadSysroot(S)).deployments.map(name)
    const op = k % 3 === 0 ? "rollback" : k % 3 === 1 ? "deploy" : "cleanup"
    const commit = k % 2 ? "testos/v3" : "testos/v1"
    const args = op === "deploy" ? ["deploy", "testos", commit] : [op]
    const { signal } = await childKilledAfter(S, args, Math.floor(random() * span))
    if (signal === "SIGKILL") kills++
    t.equal(sysrootChild(S, ["recover"]).status, 0, `round ${k}: recovered`)
    await checkSysroot(t, S, `round ${k} (${op}, ${signal ?? "finished"})`)
    const now = (await loadSysroot(S)).deployments.map(name)
    const csumOf = (ref: string) => (ref.match(/^[0-9a-f]+/) ?? [""])[0]
    const target = op === "deploy" ? revParse(template, commit) : ""
    const isNew =
      op === "rollback" ? JSON.stringify(now) === JSON.stringify([old[1], old[0], ...old.slice(2)]) :
      op === "deploy" ? now.length === 2 && csumOf(now[0]!) === target && now[1] === old[0] :
      JSON.stringify(now) === JSON.stringify(old)
    t.ok(JSON.stringify(now) === JSON.stringify(old) || isNew, `round ${k}: the boot list is the old one or the new one`)
  }
  t.ok(kills >= Math.min(want, 1), `${kills} kills landed mid-transaction`)
})
