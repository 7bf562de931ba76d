/**
 * The child process of the real-sysroot crash tests: one strata transaction or a recovery on a
 * sysroot, killable by STRATA_CRASH_AT, run the way the CLI runs it (runSysrootTransaction:
 * adoption/reconciliation first). RUN_DIR in the environment is the booted run directory.
 *
 *   node sysroot-run.js SYSROOT deploy STATEROOT REFSPEC | stage STATEROOT REFSPEC | finalize
 *     | rollback | undeploy INDEX | cleanup | pin INDEX [unpin] | kargs ARG | init-fs | os-init STATEROOT
 *     | recover | hold
 */
import {
  cleanupTransaction, deployTransaction, ensureSysrootDir, finalizeStagedTransaction, initFsTransaction, kargsEditTransaction, osInitTransaction,
  pinTransaction, planDeploy, planFinalize, planInitFs, planKargsEdit, planOsInit, planPin, planRollback, planStage, planUndeploy, recoverSysroot,
  rollbackTransaction, runSysrootTransaction, stageTransaction, undeployTransaction,
} from "../../src/machines/index.js"
import { holdLock, runChild } from "./child-main.js"

const [sysroot, cmd, a, b] = process.argv.slice(2)
if (!sysroot || !cmd) throw new Error("usage: sysroot-run SYSROOT COMMAND …")
const runDir = process.env["RUN_DIR"] || undefined
const common = { sysroot, runDir, argv: ["strata", cmd, ...(a ? [a] : []), ...(b ? [b] : [])] }
const withRun = runDir ? { runDir } : {}

const main = async (): Promise<unknown> => {
  process.stderr.write("ready\n") // modules loaded: the soak test starts its kill timer here
  switch (cmd) {
    case "deploy":
      return runSysrootTransaction({ ...common, definition: deployTransaction, plan: planDeploy({ stateroot: a!, refspec: b!, ...withRun }) })
    case "stage":
      return runSysrootTransaction({ ...common, definition: stageTransaction, plan: planStage({ stateroot: a!, refspec: b!, ...withRun }) })
    case "finalize":
      return runSysrootTransaction({ ...common, definition: finalizeStagedTransaction, plan: planFinalize(withRun) })
    case "rollback":
      return runSysrootTransaction({ ...common, definition: rollbackTransaction, plan: planRollback(withRun) })
    case "undeploy":
      return runSysrootTransaction({ ...common, definition: undeployTransaction, plan: planUndeploy({ index: Number(a), ...withRun }) })
    case "cleanup":
      return runSysrootTransaction({ ...common, definition: cleanupTransaction, input: { prune: true, ...withRun } })
    case "pin":
      return runSysrootTransaction({ ...common, definition: pinTransaction, plan: planPin({ indices: a!.split(",").map(Number), unpin: b === "unpin", ...withRun }) })
    case "kargs":
      return runSysrootTransaction({ ...common, definition: kargsEditTransaction, plan: planKargsEdit({ appendIfMissing: [a!], ...withRun }) })
    case "init-fs":
      await ensureSysrootDir(sysroot)
      return runSysrootTransaction({ ...common, definition: initFsTransaction, plan: planInitFs() })
    case "os-init":
      return runSysrootTransaction({ ...common, definition: osInitTransaction, plan: planOsInit({ stateroot: a! }) })
    case "recover":
      return recoverSysroot({ sysroot, ...withRun })
    case "hold":
      return holdLock(sysroot, "sysroot-run")
    default:
      throw new Error(`unknown command ${cmd}`)
  }
}

runChild(main)
