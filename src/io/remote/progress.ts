/**
 * Pull progress, as plain counters the pull updates and a renderer samples (ostree's
 * OstreeAsyncProgress keys, reduced to what a progress bar shows).
 */
export interface PullCounters {
  metadataRequested: number
  metadataFetched: number
  contentRequested: number
  contentFetched: number
  /** Content objects stored (fetched or produced by a delta). */
  contentWritten: number
  deltaParts: number
  deltaPartsFetched: number
  /** Bytes received over the network (set from the fetchers when sampled). */
  bytesTransferred: number
  readonly startedAt: number
}

export const newCounters = (): PullCounters => ({
  metadataRequested: 0, metadataFetched: 0, contentRequested: 0, contentFetched: 0, contentWritten: 0,
  deltaParts: 0, deltaPartsFetched: 0, bytesTransferred: 0, startedAt: Date.now(),
})

export type PullPhase = "summary" | "commits" | "objects" | "delta" | "committing" | "done"

export interface PullProgress {
  readonly phase: PullPhase
  readonly counters: Readonly<PullCounters>
}
