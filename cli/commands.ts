/** Every command strata has. Each file under cli/ exports its commands; this is the one list. */
import type { Command } from "./command.js"
import { repoCommands } from "./repo/index.js"
import { logCommands } from "./log.js"
import { historyCommands } from "./history.js"
import { recoverCommands } from "./recover.js"
import { pkgCommands } from "./pkg.js"
import { solveCommand } from "./pkg-solve.js"
import { adminCommands } from "./admin/index.js"
import { status } from "./status.js"
import { rollback } from "./rollback.js"
import { cleanup } from "./cleanup.js"
import { kargs } from "./kargs.js"
import { upgradeCommands } from "./upgrade.js"
import { dbCommands } from "./db.js"
import { layerCommands } from "./layer.js"
import { composeCommands } from "./compose.js"

export const commands: ReadonlyArray<Command> = [...repoCommands, ...logCommands, ...historyCommands, ...recoverCommands, ...pkgCommands, solveCommand, ...adminCommands, status, rollback, cleanup, kargs, ...upgradeCommands, ...dbCommands, ...layerCommands, ...composeCommands]
