/**
 * `strata log` (print the event log of a sysroot, optionally following it) and
 * `strata log verify` (check its hash chain). Thin wrappers over src/events.
 *
 * `--follow` is the one handler here that writes as it goes: its output never ends, so it cannot
 * be returned. It polls the log (see src/events/follow.ts), so it never locks writers out.
 */
import type { Command, Parsed } from "./command.js"
import { flag, str } from "./command.js"
import { EventLogError } from "../src/events/error.js"
import { eventLogPath } from "../src/events/path.js"
import type { EventEnvelope } from "../src/events/envelope.js"

// The log's modules (Effect Schema, LevelDB, msgpackr) load only when a log command runs, so
// they add nothing to the start-up of every other command.
const events = async () => {
  const [open, follow, json] = await Promise.all([import("../src/events/open.js"), import("../src/events/follow.js"), import("../src/events/json.js")])
  return { ...open, ...follow, ...json }
}

const sysrootOf = (args: Parsed): string => str(args.values["sysroot"]) ?? "/"

const positionOf = (v: string | undefined): number => {
  if (v === undefined) return 1
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 1) throw new EventLogError({ op: "log", reason: "Invalid", detail: `--from must be a position >= 1, got "${v}"` })
  return n
}

/** One line per event; a persisted machine snapshot is elided (it is large and not for reading). */
const line = (toJsonValue: (x: unknown) => unknown) => (e: EventEnvelope): string => {
  const data = e.data !== null && typeof e.data === "object" && "snapshot" in e.data ? { ...e.data, snapshot: "…" } : e.data
  return `${String(e.pos).padStart(6)}  ${e.at}  ${e.stream}#${e.seq}  ${e.type}  ${JSON.stringify(toJsonValue(data))}`
}

const log: Command = {
  path: ["log"],
  summary: "Show the event log of a sysroot",
  usage: "[--sysroot PATH] [--json] [--follow] [--stream S] [--from POS]",
  options: {
    sysroot: { type: "string" },
    json: { type: "boolean" },
    follow: { type: "boolean", short: "f" },
    stream: { type: "string" },
    from: { type: "string" },
  },
  run: async (args) => {
    const path = eventLogPath(sysrootOf(args))
    const from = positionOf(str(args.values["from"]))
    const stream = str(args.values["stream"])
    const json = flag(args.values["json"])
    const { followEventLog, openEventLog, toJsonValue } = await events()
    const render = line(toJsonValue)
    if (flag(args.values["follow"])) {
      const ac = new AbortController()
      process.once("SIGINT", () => ac.abort())
      for await (const e of followEventLog(path, { fromPos: from, signal: ac.signal })) {
        if (stream !== undefined && e.stream !== stream) continue
        process.stdout.write((json ? JSON.stringify(toJsonValue(e)) : render(e)) + "\n")
      }
      return
    }
    const found: EventEnvelope[] = []
    const handle = await openEventLog(path, { create: false })
    try {
      const source = stream !== undefined ? handle.readStream(stream) : handle.readRange({ from })
      for await (const e of source) if (e.pos >= from) found.push(e)
    } finally {
      await handle.close()
    }
    return json ? { json: found.map(toJsonValue) } : found.map(render).join("\n")
  },
}

const verify: Command = {
  path: ["log", "verify"],
  summary: "Check the event log's hash chain: edited, removed, reordered or truncated events",
  usage: "[--sysroot PATH] [--json]",
  options: { sysroot: { type: "string" }, json: { type: "boolean" } },
  run: async (args) => {
    const path = eventLogPath(sysrootOf(args))
    const report = await (await events()).verifyEventLog(path)
    // With --json the whole report goes out even on failure; the exit code still says "broken".
    if (flag(args.values["json"]) && !report.ok) process.stdout.write(JSON.stringify(report, null, 2) + "\n")
    const [first] = report.problems
    if (first) {
      const more = report.problems.length - 1
      throw new EventLogError({ op: "log verify", reason: "Corrupt", detail: first.message + (more > 0 ? ` (and ${more} more problem${more > 1 ? "s" : ""})` : ""), path })
    }
    if (flag(args.values["json"])) return { json: report }
    return `event log OK: ${report.events} events in ${report.streams} streams, head at pos ${report.lastPos}${report.head ? ` (${report.head.hash.slice(0, 16)}…)` : ""}`
  },
}

export const logCommands: ReadonlyArray<Command> = [log, verify]
