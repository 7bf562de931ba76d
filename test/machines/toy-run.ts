/**
 * The child process of the crash tests: runs one toy transaction (or recovery) against a toy
 * sysroot, so STRATA_CRASH_AT can SIGKILL it at any event. Prints the result as JSON.
 *
 *   node toy-run.js SYSROOT deploy '<ToyDeployInput json>'
 *   node toy-run.js SYSROOT pin '<{targets, notes} json>'
 *   node toy-run.js SYSROOT recover
 *   node toy-run.js SYSROOT hold        (takes the sysroot lock, prints "held", keeps it until killed)
 */
import { recover, runTransaction } from "../../src/machines/runtime/index.js"
import { toyDefinitions, toyDeploy, toyPin, useToySysroot } from "./toy.js"
import { holdLock, runChild } from "./child-main.js"

const [sysroot, cmd, json] = process.argv.slice(2)
if (!sysroot || !cmd) throw new Error("usage: toy-run SYSROOT deploy|pin|recover|hold [JSON]")
useToySysroot(sysroot)
const onWait = (m: string): void => void process.stderr.write(`waiting: ${m}\n`)

const main = async (): Promise<unknown> => {
  process.stderr.write("ready\n") // modules loaded: the soak test starts its kill timer here
  switch (cmd) {
    case "deploy":
      return runTransaction({ sysroot, definition: toyDeploy, input: JSON.parse(json!), definitions: toyDefinitions, argv: ["toy", "deploy"], onWait })
    case "pin":
      return runTransaction({ sysroot, definition: toyPin, input: JSON.parse(json!), definitions: toyDefinitions, argv: ["toy", "pin"], onWait })
    case "recover":
      return recover({ sysroot, definitions: toyDefinitions, onWait })
    case "hold":
      return holdLock(sysroot, "toy-run")
    default:
      throw new Error(`unknown command ${cmd}`)
  }
}

runChild(main)
