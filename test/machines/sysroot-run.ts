/**
 * The child process of the real-sysroot crash tests: one strata transaction (deploy, rollback,
 * undeploy, cleanup) or a recovery on a sysroot made by src/io/sysroot, killable by STRATA_CRASH_AT.
 *
 *   node sysroot-run.js SYSROOT deploy STATEROOT REFSPEC | rollback | undeploy INDEX | cleanup | recover
 */
import {
  cleanupTransaction, deployTransaction, planDeploy, planRollback, planUndeploy, recover, rollbackTransaction, runTransaction, transactionDefinitions, undeployTransaction,
} from "../../src/machines/index.js"

const [sysroot, cmd, a, b] = process.argv.slice(2)
if (!sysroot || !cmd) throw new Error("usage: sysroot-run SYSROOT deploy|rollback|undeploy|cleanup|recover …")
const common = { sysroot, definitions: transactionDefinitions, argv: ["strata", cmd, ...(a ? [a] : []), ...(b ? [b] : [])] }

const main = (): Promise<unknown> => {
  switch (cmd) {
    case "deploy":
      return runTransaction({ ...common, definition: deployTransaction, plan: planDeploy({ stateroot: a!, refspec: b! }) })
    case "rollback":
      return runTransaction({ ...common, definition: rollbackTransaction, plan: planRollback() })
    case "undeploy":
      return runTransaction({ ...common, definition: undeployTransaction, plan: planUndeploy({ index: Number(a) }) })
    case "cleanup":
      return runTransaction({ ...common, definition: cleanupTransaction, input: { prune: true } })
    case "recover":
      return recover({ sysroot, definitions: transactionDefinitions })
    default:
      throw new Error(`unknown command ${cmd}`)
  }
}

main().then(
  (r) => process.stdout.write(JSON.stringify(r) + "\n"),
  (e) => {
    process.stderr.write(`error: ${(e as { _tag?: string })._tag ?? ""} ${(e as Error).message}\n`)
    process.exitCode = 1
  },
)
