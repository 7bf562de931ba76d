/** An fsck worker: verifies batches of content objects and reports each verdict. */
import { parentPort } from "node:worker_threads"
import { emptyKeyfile } from "../../formats/keyfile.js"
import { verifyContent } from "./content-verify.js"
import { contentProblem, type ContentProblem, type FromFsckWorker, type ToFsckWorker } from "./fsck-pool.js"
import type { Repo } from "./repo.js"

let repo: Repo | undefined

parentPort!.on("message", async (msg: ToFsckWorker) => {
  if (msg.type === "init") {
    repo = { path: msg.path, mode: msg.mode, config: emptyKeyfile() }
    return
  }
  const problems: ContentProblem[] = []
  for (const csum of msg.csums) {
    try {
      await verifyContent(repo!, csum) // synchronous except for large archive payloads
    } catch (e) {
      problems.push(contentProblem(csum, e))
    }
  }
  parentPort!.postMessage({ id: msg.id, problems } satisfies FromFsckWorker)
})
