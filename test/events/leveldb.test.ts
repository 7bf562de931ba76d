/**
 * LevelDB specifics: the documented on-disk layout (checked with `level` and `msgpackr`
 * directly), tampering with the database behind the log's back, the LOCK between processes,
 * following from another process, durability across SIGKILL, and the `strata log` commands.
 */
import t from "tap"
import { spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Level } from "level"
import { unpack } from "msgpackr"
import { tmp, strata } from "../helpers/tmp.js"
import { eventLogPath, followEventLog, openEventLog, TransactionCompleted, TransactionStarted, type EventEnvelope } from "../../src/events/index.js"

const started = (pid: number) => TransactionStarted.make({ kind: "deploy", argv: ["strata", "deploy"], user: "root", pid })

/** A sysroot dir with a log of `n` two-event transactions. */
const sysrootWithLog = async (t: { teardown: (fn: () => void) => void }, n: number): Promise<{ sysroot: string; path: string }> => {
  const sysroot = tmp(t, "strata-sysroot-")
  const path = eventLogPath(sysroot)
  const log = await openEventLog(path)
  for (let i = 0; i < n; i++) await log.append(`txn-${i}`, 0, [started(100 + i), TransactionCompleted.make({})])
  await log.close()
  return { sysroot, path }
}

const rawDb = async (path: string): Promise<Level<Buffer, Buffer>> => {
  const db = new Level<Buffer, Buffer>(path, { keyEncoding: "buffer", valueEncoding: "buffer", createIfMissing: false })
  await db.open()
  return db
}

const be64 = (n: number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b
}

t.test("on-disk layout: BE positions, stream index, head record, plain MessagePack", async (t) => {
  const { path } = await sysrootWithLog(t, 2)
  const db = await rawDb(path)
  const entries: Array<[Buffer, Buffer]> = []
  for await (const [k, v] of db.iterator()) entries.push([k, v])
  await db.close()
  const events = entries.filter(([k]) => k[0] === 0x65)
  t.same(events.map(([k]) => k.toString("hex")), [1, 2, 3, 4].map((p) => "65" + be64(p).toString("hex")))
  // Any MessagePack reader can audit the log: no shared structures needed.
  const decoded = events.map(([, v]) => unpack(v) as Record<string, unknown>)
  t.same(decoded.map((e) => [e["pos"], e["stream"], e["seq"], e["type"]]), [[1, "txn-0", 1, "TransactionStarted"], [2, "txn-0", 2, "TransactionCompleted"], [3, "txn-1", 1, "TransactionStarted"], [4, "txn-1", 2, "TransactionCompleted"]])
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex")
  t.equal(decoded[0]!["prev"], "0".repeat(64))
  for (let i = 1; i < 4; i++) t.equal(decoded[i]!["prev"], sha(events[i - 1]![1]), `prev of pos ${i + 1} is sha256 of pos ${i}'s bytes`)
  const index = entries.filter(([k]) => k[0] === 0x73)
  t.same(index.map(([k, v]) => [k.subarray(1, -9).toString(), k[k.length - 9], k.subarray(-8).readBigUInt64BE(), v.readBigUInt64BE()]), [
    ["txn-0", 0, 1n, 1n],
    ["txn-0", 0, 2n, 2n],
    ["txn-1", 0, 1n, 3n],
    ["txn-1", 0, 2n, 4n],
  ])
  const head = entries.find(([k]) => k.toString() === "h")
  t.ok(head, "head record exists")
  t.same(unpack(head![1]), { pos: 4, hash: sha(events[3]![1]) })
})

t.test("strata log prints, filters and renders JSON", async (t) => {
  const { sysroot } = await sysrootWithLog(t, 3)
  const all = strata(["log", "--sysroot", sysroot])
  t.equal(all.status, 0, all.stderr)
  const lines = all.stdout.trimEnd().split("\n")
  t.equal(lines.length, 6)
  t.match(lines[0], /^\s+1  \d{4}-\d\d-\d\dT[\d:.]+Z  txn-0#1  TransactionStarted  \{"kind":"deploy","argv":\["strata","deploy"\],"user":"root","pid":100\}$/)
  const json = strata(["log", "--sysroot", sysroot, "--json", "--stream", "txn-1"])
  t.equal(json.status, 0, json.stderr)
  const parsed = JSON.parse(json.stdout) as EventEnvelope[]
  t.same(parsed.map((e) => [e.pos, e.stream, e.seq, e.type]), [[3, "txn-1", 1, "TransactionStarted"], [4, "txn-1", 2, "TransactionCompleted"]])
  const from = strata(["log", "--sysroot", sysroot, "--json", "--from", "5"])
  t.same((JSON.parse(from.stdout) as EventEnvelope[]).map((e) => e.pos), [5, 6])
  const bad = strata(["log", "--sysroot", sysroot, "--from", "0"])
  t.equal(bad.status, 2)
  t.match(bad.stderr, /--from must be a position >= 1/)
  const missing = strata(["log", "--sysroot", join(sysroot, "nowhere")])
  t.equal(missing.status, 3, "no log → NotFound exit code")
  t.equal(missing.stderr.trim().split("\n").length, 1)
  t.match(missing.stderr, /^strata: open event log: no event log here \(/)
  const ok = strata(["log", "verify", "--sysroot", sysroot])
  t.equal(ok.status, 0, ok.stderr)
  t.match(ok.stdout, /^event log OK: 6 events in 3 streams, head at pos 6/)
})

t.test("strata log verify fails with one line on each kind of tampering", async (t) => {
  const cases: Array<[string, (db: Level<Buffer, Buffer>) => Promise<void>, RegExp]> = [
    [
      "edited",
      async (db) => {
        const key = Buffer.concat([Buffer.of(0x65), be64(2)])
        const v = await db.get(key)
        // Same length, different bytes: only the hash chain can tell.
        await db.put(key, Buffer.from(v!.toString("latin1").replace("TransactionCompleted", "TransactionCompletes"), "latin1"))
      },
      /^strata: log verify: pos 2: content does not match the hash recorded by pos 3 \(event edited, or pos 3 replaced\)/,
    ],
    ["removed", (db) => db.del(Buffer.concat([Buffer.of(0x65), be64(3)])), /^strata: log verify: pos 3: event removed/],
    [
      "reordered",
      async (db) => {
        const [k2, k3] = [2, 3].map((p) => Buffer.concat([Buffer.of(0x65), be64(p)]))
        const [v2, v3] = [await db.get(k2!), await db.get(k3!)]
        await db.batch([{ type: "put", key: k2!, value: v3! }, { type: "put", key: k3!, value: v2! }])
      },
      /^strata: log verify: pos 2: holds the event of pos 3 \(events reordered\) \(and 1 more problem\)/,
    ],
    ["truncated", (db) => db.batch([5, 6].map((p) => ({ type: "del" as const, key: Buffer.concat([Buffer.of(0x65), be64(p)]) }))), /^strata: log verify: log ends at pos 4 but the head record says 6/],
  ]
  for (const [name, tamper, message] of cases) {
    const { sysroot, path } = await sysrootWithLog(t, 3)
    const db = await rawDb(path)
    await tamper(db)
    await db.close()
    const r = strata(["log", "verify", "--sysroot", sysroot])
    t.equal(r.status, 4, `${name}: Corrupt exit code`)
    t.equal(r.stderr.trim().split("\n").length, 1, `${name}: one line`)
    t.match(r.stderr, message, name)
    t.equal(r.stdout, "")
    const j = strata(["log", "verify", "--sysroot", sysroot, "--json"])
    t.equal(j.status, 4)
    t.equal((JSON.parse(j.stdout) as { ok: boolean }).ok, false, `${name}: --json prints the report`)
  }
})

t.test("one process at a time: a held LOCK is a Locked error, waited for when asked", async (t) => {
  const { path } = await sysrootWithLog(t, 1)
  const holder = await openEventLog(path)
  const err = await openEventLog(path, { lockWaitMs: 0 }).then(() => "opened", (e: unknown) => e)
  t.match(err, { _tag: "EventLogError", reason: "Locked", message: /in use by another process/ })
  // A waiting opener gets in once the holder lets go.
  const waiter = openEventLog(path, { lockWaitMs: 60_000 })
  setTimeout(() => void holder.close(), 50)
  const second = await waiter
  t.equal(second.head().pos, 2)
  await second.close()
})

t.test("followEventLog sees events appended by other openers without locking them out", async (t) => {
  const { path } = await sysrootWithLog(t, 1)
  const ac = new AbortController()
  const seen: number[] = []
  const following = (async () => {
    for await (const e of followEventLog(path, { fromPos: 2, pollMs: 5, signal: ac.signal })) {
      seen.push(e.pos)
      if (seen.length === 5) ac.abort()
    }
  })()
  // Each writer opens, appends and closes, as strata commands do; the follower polls in between.
  for (let i = 0; i < 4; i++) {
    const log = await openEventLog(path, { lockWaitMs: 60_000 })
    await log.append("follow", "any", [started(i)])
    await log.close()
  }
  await following
  t.same(seen, [2, 3, 4, 5, 6])
})

t.test("strata log --follow from another process prints events as they are appended", async (t) => {
  const { sysroot, path } = await sysrootWithLog(t, 1)
  const child = spawn(process.execPath, [join(process.cwd(), "bin", "strata.js"), "log", "--follow", "--json", "--sysroot", sysroot, "--from", "2"], { stdio: ["ignore", "pipe", "pipe"] })
  t.teardown(() => void child.kill("SIGKILL"))
  let out = ""
  const lines = new Promise<string[]>((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      const ls = out.split("\n").filter(Boolean)
      if (ls.length >= 4) resolve(ls)
    })
  })
  for (let i = 0; i < 3; i++) {
    const log = await openEventLog(path, { lockWaitMs: 60_000 })
    await log.append("followed", "any", [started(i)])
    await log.close()
  }
  const got = (await lines).map((l) => JSON.parse(l) as EventEnvelope)
  t.same(got.map((e) => [e.pos, e.stream]), [[2, "txn-0"], [3, "followed"], [4, "followed"], [5, "followed"]])
  child.kill("SIGINT")
})

t.test("acknowledged appends survive SIGKILL", async (t) => {
  const dir = tmp(t, "strata-crash-")
  const path = join(dir, "log")
  mkdirSync(dir, { recursive: true })
  const script = join(dir, "writer.mjs")
  const lib = pathToFileURL(join(process.cwd(), "dist", "src", "events", "index.js")).href
  writeFileSync(
    script,
    `import { openEventLog, TransactionStarted } from ${JSON.stringify(lib)}
const log = await openEventLog(${JSON.stringify(path)})
for (let i = 0; ; i++) {
  const r = await log.append("txn-" + (i % 7), "any", [TransactionStarted.make({ kind: "k", argv: [], user: "u", pid: i })], { sync: i % 3 === 0 })
  process.stdout.write(r.head.pos + "\\n")
  if (i === 60) process.kill(process.pid, "SIGKILL")
}
`,
  )
  const r = spawnSync(process.execPath, [script], { encoding: "utf8" })
  t.equal(r.signal, "SIGKILL")
  const acked = Math.max(...r.stdout.trim().split("\n").map(Number))
  t.equal(acked, 61)
  const log = await openEventLog(path)
  t.ok(log.head().pos >= acked, "every acknowledged append is there")
  const report = await log.verify()
  t.equal(report.ok, true, JSON.stringify(report.problems))
  await log.close()
})
