/**
 * `npm run bench:log` — event log throughput on LevelDB (DESIGN.md: one synchronous batch per
 * step boundary; full replay of a 100k-event log under 1 s).
 *
 *   sync single        one event per append, sync:true (a step boundary per event)
 *   sync batched(10)   ten events per append, sync:true (a step's events grouped)
 *   async batched(1000) a thousand events per append, sync:false (bulk import)
 *   replay 100k        reopen, read every event, decode msgpack, validate envelope + payload schema
 *   replay+fold 100k   the same, folding every projection (deployments, bootloader, history,
 *                      in-flight) batch by batch: what status/history/recovery pay on a long log
 *   verify 100k        the whole `strata log verify` walk (hash chain, index, head)
 *
 * Append events are machine-step sized: a few fields plus a persisted snapshot of ~300 bytes. The
 * replay log is deploy transactions as the deploy machine records them (bench/deploy-log.ts: 8
 * events each, ~2.4 KB with snapshots). Replays are timed 3 times; the best is shown, with the
 * process CPU time (user+sys) of that run.
 * Usage: node dist/bench/eventlog.js [--events=100000] [--dir=PATH]
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Schema } from "effect"
import { catalog, defineStep, eventLogPath, openEventLog, type NewEvent } from "../src/events/index.js"
import { bootloaderProjection } from "../src/projections/bootloader.js"
import { deploymentsProjection } from "../src/projections/deployments.js"
import { combine, foldLog } from "../src/projections/fold.js"
import { historyProjection } from "../src/projections/history.js"
import { inflightProjection } from "../src/projections/inflight.js"
import { writeDeployLog } from "./deploy-log.js"

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1]
const replayEvents = Number(arg("events") ?? 100_000)
const root = arg("dir") ?? mkdtempSync(join(tmpdir(), "strata-bench-log-"))

const BenchStep = defineStep("BenchStepDone", "fact", { step: Schema.String, path: Schema.String, bytes: Schema.Number })
const registry = catalog.with([BenchStep])

const snapshot = {
  status: "active",
  value: { deploying: "checkout" },
  context: { txn: "01J9Z3XK4V8Q2W7R5T6Y1U0I9O", ref: "fedora/x86_64/coreos/stable", commit: "a".repeat(64), kargs: ["quiet", "rhgb", "root=/dev/vda1"], retries: 0 },
  children: {},
  historyValue: {},
}
const event = (i: number): NewEvent => BenchStep.make({ step: "checkout", path: `/ostree/deploy/fedora/deploy/${i}.0`, bytes: i * 4096, snapshot })

const now = (): number => performance.now()
const rows: Array<[string, string, string]> = []
const row = (name: string, events: number, ms: number, extra = ""): void => {
  rows.push([name, `${Math.round((events / ms) * 1000).toLocaleString("en-US")} events/s`, `${(ms / 1000).toFixed(3)} s for ${events.toLocaleString("en-US")}${extra}`])
}

const appendBench = async (name: string, appends: number, perAppend: number, sync: boolean): Promise<void> => {
  const path = join(root, name.replace(/\W+/g, "-"))
  const log = await openEventLog(path, { registry })
  let version = 0
  const t0 = now()
  for (let a = 0; a < appends; a++) {
    const batch = Array.from({ length: perAppend }, (_, j) => event(a * perAppend + j))
    version = (await log.append("txn-bench", version, batch, { sync })).version
  }
  const ms = now() - t0
  await log.close()
  row(name, appends * perAppend, ms, ` (${Math.round((appends / ms) * 1000).toLocaleString("en-US")} appends/s)`)
}

try {
  await appendBench("sync single", 1000, 1, true)
  await appendBench("sync batched(10)", 300, 10, true)
  await appendBench("async batched(1000)", 100, 1000, false)

  // The replay log: deploy transactions of 8 events, one transaction per append.
  const sysroot = join(root, "replay")
  const written = await writeDeployLog(sysroot, Math.ceil(replayEvents / 8))
  const path = eventLogPath(sysroot)
  const all = combine({ deployments: deploymentsProjection, bootloader: bootloaderProjection, history: historyProjection, inflight: inflightProjection })
  const best = async (name: string, run: (log: Awaited<ReturnType<typeof openEventLog>>) => Promise<number>): Promise<void> => {
    let ms = Infinity
    let cpu = 0
    for (let i = 0; i < 3; i++) {
      const c0 = process.cpuUsage()
      const t0 = now()
      const log = await openEventLog(path, { create: false })
      const last = await run(log)
      await log.close()
      const took = now() - t0
      const c = process.cpuUsage(c0)
      if (last !== written) throw new Error(`${name} reached pos ${last}, expected ${written}`)
      if (took < ms) (ms = took), (cpu = (c.user + c.system) / 1000)
    }
    row(name, written, ms, ` (cpu ${(cpu / 1000).toFixed(3)} s; target < 1 s: ${ms < 1000 ? "met" : "MISSED"})`)
  }
  await best(`replay ${Math.round(written / 1000)}k (open, read, decode)`, async (log) => {
    let last = 0
    for await (const chunk of log.readChunks()) last = chunk[chunk.length - 1]!.pos
    return last
  })
  await best(`replay+fold ${Math.round(written / 1000)}k (all 4 projections)`, async (log) => (await foldLog(all, log)).bootloader.deployments.pos)

  const reader = await openEventLog(path, { registry })
  const t1 = now()
  const report = await reader.verify()
  const verifyMs = now() - t1
  if (!report.ok) throw new Error(`verify found problems: ${report.problems[0]?.message}`)
  row(`verify ${Math.round(written / 1000)}k`, report.events, verifyMs)
  await reader.close()
} finally {
  if (!arg("dir")) rmSync(root, { recursive: true, force: true })
}

const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)))
console.log("event log (LevelDB, node " + process.version + ")")
for (const r of rows) console.log(`  ${r[0].padEnd(widths[0]!)}  ${r[1].padStart(widths[1]!)}  ${r[2]}`)
