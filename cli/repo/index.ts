import type { Command } from "../command.js"

export const repoCommands: ReadonlyArray<Command> = []
