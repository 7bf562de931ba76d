/** `strata admin …`: ostree admin's commands. */
import type { Command } from "../command.js"
import { adminCleanup } from "./cleanup.js"
import { deploy } from "./deploy.js"
import { finalizeStaged } from "./finalize-staged.js"
import { initFs, osInit } from "./init.js"
import { kargsEditInPlace } from "./kargs.js"
import { pin } from "./pin.js"
import { adminStatus } from "./status.js"
import { undeploy } from "./undeploy.js"

export const adminCommands: ReadonlyArray<Command> = [initFs, osInit, deploy, undeploy, pin, adminCleanup, kargsEditInPlace, adminStatus, finalizeStaged]
