/**
 * Every event type strata writes. A concept file under types/ declares its events and exports
 * them as a list; add that list here (one line). Reading a log with a type missing from this
 * registry fails with UnknownEventType, so every module's events must be listed.
 */
import { makeRegistry } from "./registry.js"
import { systemEvents } from "./types/system.js"
import { transactionEvents } from "./types/transaction.js"
import { deploymentEvents } from "./types/deployment.js"
import { stagingEvents } from "./types/staging.js"
import { initEvents } from "./types/init.js"
import { pullEvents } from "./types/pull.js"
import { layerEvents } from "./types/layer.js"
import { composeEvents } from "./types/compose.js"
import { liveEvents } from "./types/live.js"

export const catalog = makeRegistry([
  ...systemEvents,
  ...transactionEvents,
  ...deploymentEvents,
  ...stagingEvents,
  ...initEvents,
  ...pullEvents,
  ...layerEvents,
  ...composeEvents,
  ...liveEvents,
])
