import type { Command } from "../command.js"
import { checkout } from "./checkout.js"
import { commit } from "./commit.js"
import { init } from "./init.js"
import { refs, revParse } from "./refs.js"

export const repoCommands: ReadonlyArray<Command> = [init, commit, checkout, refs, revParse]
