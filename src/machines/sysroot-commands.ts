/**
 * What the plain sysroot commands (admin deploy/undeploy/pin/cleanup/kargs/init/finalize-staged,
 * rollback, cleanup, kargs) load: their machines and the runner — not the barrel (index.ts), whose
 * upgrade, layering and compose machines import remotes, rpm and treefile parsing. Start-up is
 * part of every command's time (bench:deploy measures `admin deploy` whole-process).
 */
export { deployTransaction, planDeploy } from "./deploy.js"
export { rollbackTransaction, undeployTransaction, planRollback, planUndeploy, pendingAndRollback, planUndeployWhich } from "./write-deployments.js"
export { cleanupTransaction } from "./cleanup.js"
export { pinTransaction, planPin } from "./pin.js"
export { kargsEditTransaction, planKargsEdit } from "./kargs-edit.js"
export { stageTransaction, planStage } from "./stage.js"
export { finalizeStagedTransaction, planFinalize, finalizeSkipReason, recordFinalizeFailure } from "./finalize-staged.js"
export { initFsTransaction, osInitTransaction, planInitFs, planOsInit, ensureSysrootDir } from "./init.js"
export { readDiskSnapshot } from "./reconcile.js"
export { runSysrootTransaction } from "./run-sysroot.js"
export { kargsBase, editedKargs, planKargsDeploy, planKargsStage } from "./kargs-deploy.js"
