/** An import worker: hashes and stores batches of files with synchronous fs (see import-file.ts). */
import { parentPort } from "node:worker_threads"
import { makeImporter, type Importer } from "./import-file.js"
import type { FromWorker, ToWorker } from "./import-types.js"

let importer: Importer | undefined

parentPort!.on("message", (msg: ToWorker) => {
  if (msg.type === "init") {
    importer = makeImporter(msg)
    return
  }
  let current = ""
  try {
    const results = msg.jobs.map((j) => {
      current = j.path
      return importer!.importFile(j)
    })
    parentPort!.postMessage({ type: "done", id: msg.id, results } satisfies FromWorker)
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    parentPort!.postMessage({ type: "error", id: msg.id, message: err.message, code: err.code, path: current } satisfies FromWorker)
  }
})
