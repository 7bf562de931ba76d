/**
 * Every transaction kind strata has (definitions.ts: `transactionDefinitions`, what `strata
 * recover` can finish), the runtime that runs them, and the sysroot entry points.
 */
export { transactionDefinitions } from "./definitions.js"

export * from "./runtime/index.js"
export { recordBoot, type RecordBootOptions, type RecordBootResult } from "./record-boot.js"
export { deployTransaction, planDeploy, applyKargEdit, type DeployInput, type DeployOptions, type DeployOutput, type KargEdit } from "./deploy.js"
export { rollbackTransaction, undeployTransaction, planRollback, planUndeploy, type WriteDeploymentsInput } from "./write-deployments.js"
export { cleanupTransaction } from "./cleanup.js"
export { sysrootSteps, sysrootUndo, probeSwap, planSwap, toDeployment, toBootListEntry } from "./sysroot-steps.js"
export { pinTransaction, planPin } from "./pin.js"
export { kargsEditTransaction, planKargsEdit } from "./kargs-edit.js"
export { stageTransaction, planStage } from "./stage.js"
export { finalizeStagedTransaction, planFinalize, finalizeSkipReason, recordFinalizeFailure } from "./finalize-staged.js"
export { initFsTransaction, osInitTransaction, planInitFs, planOsInit, ensureSysrootDir } from "./init.js"
export { reconcileLog, readDiskSnapshot, type ReconcileResult } from "./reconcile.js"
export { runSysrootTransaction, type SysrootRunOptions } from "./run-sysroot.js"
export { resolveRunDir } from "./run-dir.js"
export { recoverSysroot, type SysrootRecovery } from "./recover-sysroot.js"
export { readStatus, variantToJson, type StatusReport, type StatusDeployment, type CommitInfo } from "./status.js"
export { pendingAndRollback, planUndeployWhich } from "./write-deployments.js"
export { kargsBase, editedKargs, planKargsDeploy, planKargsStage, type KargsDeployOptions } from "./kargs-deploy.js"
export { defaultStateroot } from "./deploy.js"
export { upgradeTransaction, planUpgrade, type UpgradeAction, type UpgradeOptions, type UpgradeOutput } from "./upgrade.js"
export { layerTransaction, layerDeployTransaction, planLayer, localPackage, isLocalRpm, type LayerOptions, type LayerOutput } from "./layer.js"
export type { LayerEdit } from "./layer-edit.js"
export { runLayer, layerPackages, type RunLayerOptions } from "./layer-run.js"
export { upgradeDeployTransaction } from "./upgrade-deploy.js"
// compose runs on a repository (its own lock and log in REPO/extensions/strata), not a sysroot
export { composeTree, recoverCompose, expandTreefile, defaultCachedir, NO_CHANGE_MESSAGE, type ComposeTreeOptions, type ComposeTreeResult } from "./compose-tree.js"
export { composeTransaction, type ComposeOutput } from "./compose.js"
export { repoPlace, repoLogPath } from "./compose-place.js"
