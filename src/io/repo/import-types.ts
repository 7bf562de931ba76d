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
  /** Re-hash content objects (checkout verifies before it links). */
  | { readonly type: "verify"; readonly id: number; readonly repoPath: string; readonly csums: ReadonlyArray<string> }

export type FromWorker =
  | { readonly type: "done"; readonly id: number; readonly results: ReadonlyArray<ImportResult> }
  /** Verification results: for each object, whether it is an empty regular file (copied, not linked). */
  | { readonly type: "verified"; readonly id: number; readonly empty: ReadonlyArray<boolean> }
  | { readonly type: "error"; readonly id: number; readonly message: string; readonly code?: string; readonly path?: string; readonly tag?: string; readonly reason?: string; readonly op?: string; readonly detail?: string }
