/** A store worker: imports (hash + store) or verifies batches of objects with synchronous fs. */
import { parentPort } from "node:worker_threads"
import { emptyKeyfile } from "../../formats/keyfile.js"
import { S_IFMT, S_IFREG } from "../../formats/ostree/index.js"
import { RepoError } from "./error.js"
import { makeImporter, type Importer } from "./import-file.js"
import type { FromWorker, ToWorker } from "./import-types.js"
import { readContentObjectSync } from "./object-read.js"
import type { RepoMode } from "./repo.js"

let importer: Importer | undefined
let mode: RepoMode = "bare"

const fail = (id: number, e: unknown, path: string): void => {
  const err = e as NodeJS.ErrnoException
  const tagged = e instanceof RepoError ? { tag: e._tag, reason: e.reason, op: e.op, detail: e.detail } : {}
  parentPort!.postMessage({ type: "error", id, message: err.message, code: err.code, path, ...tagged } satisfies FromWorker)
}

parentPort!.on("message", (msg: ToWorker) => {
  if (msg.type === "init") {
    importer = makeImporter(msg)
    mode = msg.mode
    return
  }
  if (msg.type === "verify") {
    let current = ""
    try {
      const repo = { path: msg.repoPath, mode, config: emptyKeyfile() }
      const empty = msg.csums.map((c) => {
        current = c
        const o = readContentObjectSync(repo, c, true)
        return (o.meta.mode & S_IFMT) === S_IFREG && o.data.length === 0
      })
      parentPort!.postMessage({ type: "verified", id: msg.id, empty } satisfies FromWorker)
    } catch (e) {
      fail(msg.id, e, current)
    }
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
    fail(msg.id, e, current)
  }
})
