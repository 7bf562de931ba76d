/** Messages between the commit's main thread and its import workers (one typed union each way). */
import type { FileMeta } from "../../formats/ostree/index.js"
import type { RepoMode } from "./repo.js"

export interface ImportJob {
  readonly path: string
  readonly meta: FileMeta
}

export interface ImportResult {
  readonly csum: string
  /** Path relative to objects/ (`XX/REST.ext`). */
  readonly rel: string
  /** False when the object already existed (in the repo, or staged by another worker). */
  readonly written: boolean
  readonly bytes: number
}

export type ToWorker =
  | { readonly type: "init"; readonly mode: RepoMode; readonly objectsDir: string; readonly stagingDir: string }
  | { readonly type: "import"; readonly id: number; readonly jobs: ReadonlyArray<ImportJob> }

export type FromWorker =
  | { readonly type: "done"; readonly id: number; readonly results: ReadonlyArray<ImportResult> }
  | { readonly type: "error"; readonly id: number; readonly message: string; readonly code?: string; readonly path?: string }
