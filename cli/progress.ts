/**
 * Pull progress for people: a cli-progress bar on a TTY (objects, bytes, rate, ETA), nothing
 * while running otherwise — the command prints its one summary line at the end either way.
 */
import type { PullProgress } from "../src/io/remote/progress.js"
import { formatSize } from "../src/lib/glib-format.js"

export interface ProgressView {
  readonly onProgress?: (p: PullProgress) => void
  readonly stop: () => void
}

export const pullProgressView = async (): Promise<ProgressView> => {
  if (!process.stderr.isTTY) return { stop: () => undefined }
  const { SingleBar, Presets } = await import("cli-progress")
  const bar = new SingleBar(
    {
      format: "{phase} [{bar}] {value}/{total} objects | {bytes} | {rate}/s | ETA {eta_formatted}",
      stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50, fps: 8,
    },
    Presets.shades_classic,
  )
  let started = false
  return {
    onProgress: ({ phase, counters: c }) => {
      const total = Math.max(1, c.metadataRequested + c.contentRequested)
      const done = c.metadataFetched + c.contentFetched
      const secs = Math.max(0.001, (Date.now() - c.startedAt) / 1000)
      const payload = {
        phase: phase === "delta" ? `Delta parts ${c.deltaPartsFetched}/${c.deltaParts}` : phase === "objects" ? "Receiving objects" : phase,
        bytes: formatSize(c.bytesTransferred), rate: formatSize(Math.round(c.bytesTransferred / secs)),
      }
      if (!started) {
        bar.start(total, done, payload)
        started = true
      } else {
        bar.setTotal(total)
        bar.update(done, payload)
      }
    },
    stop: () => {
      if (started) bar.stop()
      started = false
    },
  }
}
