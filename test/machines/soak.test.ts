/**
 * Random-time SIGKILL soak (the short version; STRATA_SOAK=1000 for the long one): a loop of
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

t.test(`random SIGKILLs during ${rounds} toy transactions (seed ${seed})`, async (t) => {
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
