/**
 * `--at <position|ISO time>`: the point in the log a past view is folded up to. A bare integer
 * is a global position; anything else must parse as a date. Time cutoffs filter by each event's
 * `at` instead of stopping at the first later one, so a clock step backwards cannot hide events.
 */
import type { EventEnvelope } from "../events/envelope.js"

export type Cutoff = { readonly pos: number } | { readonly time: string }

/** Undefined when `text` is neither a position >= 1 nor a date. */
export const parseCutoff = (text: string): Cutoff | undefined => {
  const t = text.trim()
  if (/^\d+$/.test(t)) {
    const pos = Number(t)
    return Number.isSafeInteger(pos) && pos >= 1 ? { pos } : undefined
  }
  const ms = Date.parse(t)
  return Number.isNaN(ms) ? undefined : { time: new Date(ms).toISOString() }
}

export const within = (c: Cutoff): ((e: EventEnvelope) => boolean) => {
  if ("pos" in c) return (e) => e.pos <= c.pos
  const limit = Date.parse(c.time)
  return (e) => Date.parse(e.at) <= limit
}
