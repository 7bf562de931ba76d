/**
 * The pull's batch writer (batch-writer.ts): objects written through it are visible after
 * `flush`; every `flushBytes` it starts a writeback in the background, at most one at a time,
 * and neither `flush` nor `settle` returns while one is still running.
 */
import t from "tap"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { tmp } from "../helpers/tmp.js"
import { initRepo } from "../../src/io/repo/repo.js"
import { objectPath } from "../../src/io/repo/object-read.js"
import { writeMetadata } from "../../src/io/repo/transaction.js"
import { makeBatchWriter } from "../../src/io/remote/batch-writer.js"

const fakeWriteback = () => {
  const log = { started: 0, finished: 0, running: 0, maxRunning: 0 }
  const run = async (): Promise<void> => {
    log.started++
    log.maxRunning = Math.max(log.maxRunning, ++log.running)
    await new Promise((r) => setTimeout(r, 50))
    log.running--
    log.finished++
  }
  return { log, run }
}

t.test("early writebacks run in the background, one at a time, and flush waits for them", async (t) => {
  const repo = await initRepo({ path: join(tmp(t), "repo"), mode: "bare-user-only" })
  const wb = fakeWriteback()
  const w = makeBatchWriter({ repo, flushBytes: 100, writeback: wb.run })
  const blobs = Array.from({ length: 6 }, (_, i) => Buffer.from(`metadata object ${i}\n`.repeat(10)))
  const csums = await Promise.all(blobs.map((b) => w.write(b.length, (txn) => writeMetadata(txn, "dirmeta", b))))
  t.ok(wb.log.started >= 1, "a writeback started once enough bytes were written")
  t.equal(wb.log.maxRunning, 1, "never two at once")
  await w.flush()
  t.equal(wb.log.running, 0, "flush returned after the writeback finished")
  for (const c of csums) t.ok(existsSync(objectPath(repo, c, "dirmeta")), "committed")
})

t.test("below flushBytes nothing starts; settle also waits for a running writeback", async (t) => {
  const repo = await initRepo({ path: join(tmp(t), "repo"), mode: "bare-user-only" })
  const quiet = fakeWriteback()
  const w1 = makeBatchWriter({ repo, flushBytes: 1 << 20, writeback: quiet.run })
  await w1.write(10, (txn) => writeMetadata(txn, "dirmeta", Buffer.from("small\n")))
  await w1.flush()
  t.equal(quiet.log.started, 0)
  const wb = fakeWriteback()
  const w2 = makeBatchWriter({ repo, flushBytes: 1, writeback: wb.run })
  await w2.write(10, (txn) => writeMetadata(txn, "dirmeta", Buffer.from("another\n")))
  t.equal(wb.log.running, 1, "started in the background")
  await w2.settle()
  t.equal(wb.log.running, 0, "settle waited for it")
})
