import type { Command } from "../command.js"
import { cat } from "./cat.js"
import { checkout } from "./checkout.js"
import { commit } from "./commit.js"
import { fsck } from "./fsck.js"
import { init } from "./init.js"
import { log } from "./log.js"
import { ls } from "./ls.js"
import { refs, revParse } from "./refs.js"
import { show } from "./show.js"

export const repoCommands: ReadonlyArray<Command> = [init, commit, checkout, refs, revParse, ls, cat, log, show, fsck]
