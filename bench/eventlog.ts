/**
 * `npm run bench:log` — event log throughput on LevelDB (DESIGN.md: one synchronous batch per
 * step boundary; full replay of a 100k-event log under 1 s).
 *
 *   sync single        one event per append, sync:true (a step boundary per event)
 *   sync batched(10)   ten events per append, sync:true (a step's events grouped)
 *   async batched(1000) a thousand events per append, sync:false (bulk import)
 *   replay 100k        reopen, read every event, decode msgpack, validate envelope + payload schema
 *   verify 100k        the whole `strata log verify` walk (hash chain, index, head)
 *
 * Events are machine-step sized: a few fields plus a persisted snapshot of ~300 bytes.
 * Usage: node dist/bench/eventlog.js [--events=100000] [--dir=PATH]
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Schema } from "effect"
import { catalog, defineStep, openEventLog, type NewEvent } from "../src/events/index.js"

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

  // Build the replay log: one stream per 10 events, like transactions.
  const path = join(root, "replay")
  const writer = await openEventLog(path, { registry })
  for (let i = 0; i < replayEvents; i += 1000) {
    const n = Math.min(1000, replayEvents - i)
    // Group into 10-event "transactions" appended as one batch each would cost 10k appends; the
    // layout matters, not the write pattern, so write 1000 at a time into rotating streams.
    await writer.append(`txn-${i / 1000}`, 0, Array.from({ length: n }, (_, j) => event(i + j)), { sync: false })
  }
  await writer.close()

  const reader = await openEventLog(path, { registry })
  let count = 0
  let last = 0
  const t0 = now()
  for await (const e of reader.readAll()) {
    count++
    last = e.pos
  }
  const replayMs = now() - t0
  if (count !== replayEvents || last !== replayEvents) throw new Error(`replay read ${count} events up to pos ${last}, expected ${replayEvents}`)
  row(`replay ${replayEvents / 1000}k`, count, replayMs, replayMs < 1000 ? " (target < 1 s: met)" : " (target < 1 s: MISSED)")

  const t1 = now()
  const report = await reader.verify()
  const verifyMs = now() - t1
  if (!report.ok) throw new Error(`verify found problems: ${report.problems[0]?.message}`)
  row(`verify ${replayEvents / 1000}k`, report.events, verifyMs)
  await reader.close()
} finally {
  if (!arg("dir")) rmSync(root, { recursive: true, force: true })
}

const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)))
console.log("event log (LevelDB, node " + process.version + ")")
for (const r of rows) console.log(`  ${r[0].padEnd(widths[0]!)}  ${r[1].padStart(widths[1]!)}  ${r[2]}`)
