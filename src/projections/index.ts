/** Pure folds over the event log: deployments, bootloader, history, in-flight transactions. */
export * from "./fold.js"
export * from "./at.js"
export * from "./deployments.js"
export * from "./bootloader.js"
export * from "./history.js"
export * from "./inflight.js"
export { describeFact } from "./describe.js"
export * from "./drift.js"
