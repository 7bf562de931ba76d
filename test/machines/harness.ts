/**
 * The crash-test harness: toy sysroots made once and copied per case, the toy child process,
 * and the invariants every interrupted-then-recovered sysroot must satisfy (issue 3 item 6):
 * old-or-new state, no partial files, projections equal to the disk, nothing in flight, and a
 * log whose hash chain verifies.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { spawnSync } from "node:child_process"
import { eventLogPath } from "../../src/events/path.js"
import { openEventLog, verifyEventLog } from "../../src/events/open.js"
import type { EventEnvelope } from "../../src/events/envelope.js"
import { foldAsync } from "../../src/projections/fold.js"
import { deploymentsProjection, type DeploymentsState } from "../../src/projections/deployments.js"
import { inflightProjection, type InflightState } from "../../src/projections/inflight.js"
import { historyEntries, historyProjection, type TxnHistory } from "../../src/projections/history.js"
import { runTransaction } from "../../src/machines/runtime/index.js"
import { initToySysroot, readToyDisk, toyDefinitions, toyDeploy, useToySysroot, type ToyDisk } from "./toy.js"

import type { Test } from "tap"

export type Tap = Pick<Test, "teardown" | "equal" | "same" | "ok">

export const tmpDir = (t: { teardown: (fn: () => void) => void }, prefix = "strata-machines-"): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export const copySysroot = (from: string, to: string): string => {
  cpSync(from, to, { recursive: true, verbatimSymlinks: true })
  return to
}

export const A0 = { stateroot: "os", checksum: "a0", serial: 0 }
export const A1 = { stateroot: "os", checksum: "a1", serial: 0 }
export const B = { stateroot: "os", checksum: "bb", serial: 0 }
export const name = (d: { checksum: string; serial: number }): string => `${d.checksum}.${d.serial}`

/** The deploy under test: B over [A1, A0], keeping one, so A0 falls off and is removed. */
export const deployB = { checksum: B.checksum, serial: 0, current: [A1, A0], bootversion: 0, keep: 1 }

/** A toy sysroot with boot list [A1, A0] on loader.0, made by two clean toy-deploy runs. */
export const makeTemplate = async (dir: string): Promise<string> => {
  const root = join(dir, "template")
  initToySysroot(root)
  useToySysroot(root)
  await runTransaction({ sysroot: root, definition: toyDeploy, input: { checksum: A0.checksum, serial: 0, current: [], bootversion: 0, keep: 0 }, argv: ["toy"] })
  await runTransaction({ sysroot: root, definition: toyDeploy, input: { checksum: A1.checksum, serial: 0, current: [A0], bootversion: 1, keep: 1 }, argv: ["toy"] })
  return root
}

const toyRun = fileURLToPath(new URL("./toy-run.js", import.meta.url))

export interface ChildResult {
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the toy child; `crashAt` sets STRATA_CRASH_AT. */
export const child = (sysroot: string, args: ReadonlyArray<string>, crashAt?: string): ChildResult => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env["STRATA_CRASH_AT"]
  if (crashAt !== undefined) env["STRATA_CRASH_AT"] = crashAt
  const r = spawnSync(process.execPath, [toyRun, sysroot, ...args], { encoding: "utf8", env })
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }
}

export const readLog = async (sysroot: string): Promise<EventEnvelope[]> => {
  const log = await openEventLog(eventLogPath(sysroot), { create: false })
  try {
    const out: EventEnvelope[] = []
    for await (const e of log.readAll()) out.push(e)
    return out
  } finally {
    await log.close()
  }
}

export interface Folded {
  readonly deployments: DeploymentsState
  readonly inflight: InflightState
  readonly last?: TxnHistory
}

export const foldLog = async (sysroot: string): Promise<Folded> => {
  const events = await readLog(sysroot)
  const it = async function* () {
    yield* events
  }
  const txns = historyEntries(await foldAsync(historyProjection, it())).filter((e): e is TxnHistory => e.entry === "transaction")
  return { deployments: await foldAsync(deploymentsProjection, it()), inflight: await foldAsync(inflightProjection, it()), ...(txns.length ? { last: txns.at(-1)! } : {}) }
}

/** Projections equal to the disk, nothing partial or in flight, a verified log. Returns the disk. */
export const checkInvariants = async (t: Tap, sysroot: string, label: string): Promise<ToyDisk> => {
  const disk = readToyDisk(sysroot)
  const f = await foldLog(sysroot)
  const d = f.deployments
  const views = Object.values(d.byId)
  t.same(disk.partial, [], `${label}: no partial deployment`)
  t.equal(disk.loaderTmp, false, `${label}: no boot/loader.tmp left`)
  t.equal(d.bootversion, disk.bootversion, `${label}: projected bootversion = readlink boot/loader`)
  t.same(d.order.map((id) => name(d.byId[id]!)), disk.order, `${label}: projected boot order = live entries`)
  t.same(views.map(name).sort(), disk.deployments, `${label}: projected deployments = directories`)
  t.same(views.filter((v) => v.pinned).map(name).sort(), disk.pinned, `${label}: projected pins = origins`)
  t.same(Object.keys(f.inflight), [], `${label}: nothing in flight`)
  const report = await verifyEventLog(eventLogPath(sysroot))
  t.ok(report.ok, `${label}: log verify passes`)
  return disk
}

export { toyDefinitions }
