/**
 * The deployments and in-flight projections of an open log, folded once per handle and then only
 * continued. A transaction asks twice before it starts — recovery (what is in flight?) and
 * reconciliation (what does the log say the disk holds?) — and both used to replay the whole
 * log; now the second question, and any asked after appends (recovery's terminal events, a
 * `Reconciled` event), reads just the events past the position folded so far.
 *
 * Sound because a fold is a pure function of the events in order and the log is append-only with
 * one writer (this process holds the sysroot lock): the state at position p plus the events
 * after p is the state of the whole log. Keyed by the handle, so a reopened log starts over.
 */
import type { EventStore } from "../../events/store.js"
import { deploymentsProjection, type DeploymentsState } from "../../projections/deployments.js"
import { combine, foldChunks } from "../../projections/fold.js"
import { inflightProjection, type InflightState } from "../../projections/inflight.js"

export interface LogView {
  readonly deployments: DeploymentsState
  readonly inflight: InflightState
}

const projection = combine({ deployments: deploymentsProjection, inflight: inflightProjection })

const views = new WeakMap<EventStore, { readonly state: LogView; readonly pos: number }>()

/** The projections as of the log's head now. */
export const logView = async (log: EventStore): Promise<LogView> => {
  const head = log.head().pos
  const known = views.get(log)
  if (known && known.pos === head) return known.state
  const from = known ? known.pos + 1 : 1
  const state = await foldChunks(projection, log.readChunks({ from, to: head }), known ? { from: known.state } : {})
  views.set(log, { state, pos: head })
  return state
}
