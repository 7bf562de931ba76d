/**
 * A pull worker: verifies one fetched `.filez` (inflate + SHA-256, see filez-decode.ts) and,
 * only once it is proven to be what its name says, stores it at its staging path. The main
 * thread chose the path and did the dedupe; it makes the object visible at commit.
 */
import { serveJobs } from "../../lib/worker-pool.js"
import { storeContentSync } from "../repo/object-write.js"
import { decodeFilezSync, unstorable } from "./filez-decode.js"
import type { FilezJob, FilezResult } from "./filez-pool.js"

serveJobs<FilezJob, FilezResult>((job) => {
  const d = decodeFilezSync(job.csum, job.body)
  if (!d.ok) return { result: { ok: false, kind: "corrupt", detail: d.detail } }
  const why = unstorable(job.mode, job.csum, d.meta)
  if (why) return { result: { ok: false, kind: "unsupported", detail: why } }
  storeContentSync(job.mode, job.dest, d.meta, { data: d.data })
  return { result: { ok: true, size: d.data.length } }
})
