/** The removal worker of rmrf-split.ts: empties and removes the directories it is sent. */
import { serveJobs } from "../../lib/worker-pool.js"
import { removeListed, type ListedDir } from "./rm-tree.js"

serveJobs<ReadonlyArray<ListedDir>, true>((dirs) => {
  removeListed(dirs)
  return { result: true }
})
