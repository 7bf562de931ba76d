/**
 * Content objects of a pull are verified and stored on worker threads (filez-pool.ts): a good
 * `.filez` is staged and becomes visible at commit; a corrupt one, one that inflates past its
 * header's size, or one the repo mode cannot hold is refused with nothing staged; the body is
 * moved to the worker, not copied.
 */
import t, { type Test } from "tap"
import { existsSync, readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { deflateRawSync } from "node:zlib"
import { tmp } from "../helpers/tmp.js"
import { initRepo, type RepoMode } from "../../src/io/repo/repo.js"
import { abortTransaction, beginTransaction, checksumContent, commitTransaction } from "../../src/io/repo/transaction.js"
import { filezHeaderBytes, type FileMeta } from "../../src/formats/ostree/index.js"
import { makeFilezPool, stageFilez } from "../../src/io/remote/filez-pool.js"
import { ownBuffer } from "../../src/io/remote/fetcher.js"
import { RemoteError } from "../../src/io/remote/error.js"

const meta = (mode = 0o100644): FileMeta => ({ uid: 0, gid: 0, mode, symlinkTarget: "", xattrs: [] })
const filez = (m: FileMeta, data: Buffer, declared = data.length): Buffer =>
  ownBuffer([filezHeaderBytes(m, BigInt(declared)), deflateRawSync(data)])

const staged = (staging: string): string[] =>
  existsSync(staging) ? readdirSync(staging, { recursive: true }).map(String).filter((p) => p.endsWith(".file")) : []

const setup = async (t: Test, mode: RepoMode = "bare-user") => {
  const repo = await initRepo({ path: join(tmp(t), "repo"), mode })
  const pool = makeFilezPool()
  t.teardown(() => pool.close())
  return { repo, pool, txn: await beginTransaction(repo) }
}

t.test("a good object is verified on a worker, staged, and visible after commit", async (t) => {
  const { repo, pool, txn } = await setup(t)
  const data = Buffer.from("hello from a worker\n".repeat(100))
  const csum = checksumContent(meta(), data)
  const body = filez(meta(), data)
  await stageFilez(pool, txn, csum, body)
  t.equal(body.buffer.byteLength, 0, "the body was transferred, not copied")
  t.equal(staged(txn.staging).length, 1)
  t.equal(txn.stats.contentBytesWritten, data.length)
  await commitTransaction(txn)
  t.same(readFileSync(join(repo.path, "objects", csum.slice(0, 2), `${csum.slice(2)}.file`)), data)
})

t.test("bad objects are refused and nothing is staged", async (t) => {
  const { pool, txn } = await setup(t)
  t.teardown(() => abortTransaction(txn))
  const data = Buffer.from("the real content\n".repeat(50))
  const csum = checksumContent(meta(), data)
  const flipped = filez(meta(), data)
  flipped[flipped.length - 3]! ^= 0xff
  const cases: Array<[string, Buffer, RegExp]> = [
    ["flipped payload", flipped, /is corrupted: (checksum mismatch|cannot inflate|inflated to)/],
    ["inflates past its header", filez(meta(), data, data.length - 10), /is corrupted: inflates to more than/],
    ["shorter than its header", filez(meta(), data, data.length + 10), /is corrupted: inflated to \d+ bytes, header says/],
    ["other content", filez(meta(), Buffer.from("something else")), /is corrupted: checksum mismatch/],
  ]
  for (const [name, body, error] of cases) {
    await t.rejects(stageFilez(pool, txn, csum, body), error, name)
    t.same(staged(txn.staging), [], `${name}: nothing staged`)
  }
  const err = await stageFilez(pool, txn, csum, filez(meta(), Buffer.from("x"))).catch((e: unknown) => e)
  t.ok(err instanceof RemoteError && err.reason === "Corrupt", "a tagged RemoteError, not an fs error")
  await stageFilez(pool, txn, csum, filez(meta(), data))
  t.equal(staged(txn.staging).length, 1, "the object can still be staged from good bytes")
})

t.test("bare-user-only refuses what it cannot hold; a pooled buffer is never transferred", async (t) => {
  const { pool, txn } = await setup(t, "bare-user-only")
  t.teardown(() => abortTransaction(txn))
  const data = Buffer.from("setuid\n")
  const csum = checksumContent(meta(0o104755), data)
  await t.rejects(stageFilez(pool, txn, csum, filez(meta(0o104755), data)), /cannot be stored in a bare-user-only repository/)
  t.same(staged(txn.staging), [])
  const small = Buffer.from(filez(meta(), data)) // small Buffer.from copies share Node's pool
  t.not(small.buffer.byteLength, small.length)
  await t.rejects(stageFilez(pool, txn, checksumContent(meta(), data), small), /must own its ArrayBuffer/)
})
