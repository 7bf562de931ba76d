/**
 * Every transaction kind strata has, and the runtime that runs them. `transactionDefinitions` is
 * what `strata recover` (and the runner's check before each new transaction) can finish: a new
 * machine is added here, or an interrupted transaction of its kind blocks the sysroot until a
 * strata that knows it runs `recover`.
 */
import type { TransactionDefinition } from "./runtime/definition.js"
import { cleanupTransaction } from "./cleanup.js"
import { deployTransaction } from "./deploy.js"
import { rollbackTransaction, undeployTransaction } from "./write-deployments.js"

export const transactionDefinitions: ReadonlyArray<TransactionDefinition> = [deployTransaction, rollbackTransaction, undeployTransaction, cleanupTransaction]

export * from "./runtime/index.js"
export { recordBoot, type RecordBootOptions, type RecordBootResult } from "./record-boot.js"
export { deployTransaction, planDeploy, type DeployInput, type DeployOptions, type DeployOutput } from "./deploy.js"
export { rollbackTransaction, undeployTransaction, planRollback, planUndeploy, type WriteDeploymentsInput } from "./write-deployments.js"
export { cleanupTransaction } from "./cleanup.js"
export { sysrootSteps, sysrootUndo, probeSwap, planSwap, toDeployment, toBootListEntry } from "./sysroot-steps.js"
