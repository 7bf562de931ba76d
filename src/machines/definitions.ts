/**
 * Every transaction kind strata has. `transactionDefinitions` is what `strata recover` (and the
 * runner's check before each new transaction) can finish: a new machine is added here, or an
 * interrupted transaction of its kind blocks the sysroot until a strata that knows it runs
 * `recover`.
 */
import type { TransactionDefinition } from "./runtime/definition.js"
import { cleanupTransaction } from "./cleanup.js"
import { deployTransaction } from "./deploy.js"
import { finalizeStagedTransaction } from "./finalize-staged.js"
import { initFsTransaction, osInitTransaction } from "./init.js"
import { kargsEditTransaction } from "./kargs-edit.js"
import { pinTransaction } from "./pin.js"
import { stageTransaction } from "./stage.js"
import { rollbackTransaction, undeployTransaction } from "./write-deployments.js"
import { upgradeTransaction } from "./upgrade.js"
import { layerDeployTransaction, layerTransaction } from "./layer.js"
import { upgradeDeployTransaction } from "./upgrade-deploy.js"
import { applyLiveTransaction } from "./live.js"

export const transactionDefinitions: ReadonlyArray<TransactionDefinition> = [
  deployTransaction,
  rollbackTransaction,
  undeployTransaction,
  cleanupTransaction,
  pinTransaction,
  kargsEditTransaction,
  stageTransaction,
  finalizeStagedTransaction,
  initFsTransaction,
  osInitTransaction,
  upgradeTransaction,
  layerTransaction,
  layerDeployTransaction,
  upgradeDeployTransaction,
  applyLiveTransaction,
]
