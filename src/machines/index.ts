/**
 * Every transaction kind strata has, and the runtime that runs them. `transactionDefinitions` is
 * what `strata recover` (and the runner's check before each new transaction) can finish: a new
 * machine is added here, or an interrupted transaction of its kind blocks the sysroot until a
 * strata that knows it runs `recover`.
 */
import type { TransactionDefinition } from "./runtime/definition.js"

export const transactionDefinitions: ReadonlyArray<TransactionDefinition> = []

export * from "./runtime/index.js"
export { recordBoot, type RecordBootOptions, type RecordBootResult } from "./record-boot.js"
