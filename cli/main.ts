/**
 * The `strata` entry point: finds the command by its words, parses its flags with node's
 * parseArgs, runs it, renders its output, and maps a failure to one line and an exit code.
 *
 * Start-up is measured against `ostree admin status`, so only the running command's module is
 * loaded: `dist/cli/manifest.json` (written at build time by scripts/cli-manifest.mjs) maps each
 * command's words to its module. Help, or a missing/stale manifest, loads every command.
 *
 * This module does not run by itself: bin/strata.js calls `run`, either from here (dist/) or from
 * the bundle (scripts/bundle.mjs), passing a loader that runs each command module's bundle.
 */
import { parseArgs } from "node:util"
import { readFileSync, writeSync } from "node:fs"
import type { Command } from "./command.js"
import { exitCodeFor, type Reason } from "../src/lib/error.js"

interface ManifestEntry {
  readonly path: ReadonlyArray<string>
  readonly module: string
  readonly export: string
  readonly index: number
}

const readManifest = (): ReadonlyArray<ManifestEntry> | undefined => {
  try {
    return JSON.parse(readFileSync(new URL("./manifest.json", import.meta.url), "utf8")) as ManifestEntry[]
  } catch {
    return undefined
  }
}


/**
 * Imports a command module by its manifest name ("./status.js", relative to dist/cli), or
 * "./commands.js" (every command).
 */
export type ModuleLoader = (module: string) => Promise<Record<string, unknown>>

const importModule: ModuleLoader = (module) => import(module) as Promise<Record<string, unknown>>

const allCommands = async (load: ModuleLoader): Promise<ReadonlyArray<Command>> => (await load("./commands.js"))["commands"] as ReadonlyArray<Command>

/** Loads one command through the manifest; undefined if the manifest does not lead to it. */
const loadEntry = async (e: ManifestEntry, load: ModuleLoader): Promise<Command | undefined> => {
  try {
    const mod = await load(e.module)
    const v = mod[e.export]
    const c = (e.index >= 0 && Array.isArray(v) ? v[e.index] : v) as Command | undefined
    return c && c.path.join(" ") === e.path.join(" ") ? c : undefined
  } catch {
    return undefined
  }
}

/**
 * Writes a command's output with writeSync: process.stdout is a stream whose creation loads
 * node:stream and friends, ~4 ms of CPU in a 35 ms `strata status`. On Linux the stream writes
 * files, pipes and terminals synchronously anyway, so the order against anything a command wrote
 * through it is the same. A pipe that is non-blocking and full (EAGAIN) gets the rest through the
 * stream, which waits for it; a reader that went away (EPIPE) ends the output, as with `| head`.
 */
const emit = (fd: 1 | 2, text: string | Uint8Array): void => {
  let buf = typeof text === "string" ? Buffer.from(text) : Buffer.from(text.buffer, text.byteOffset, text.byteLength)
  try {
    while (buf.length > 0) buf = buf.subarray(writeSync(fd, buf))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === "EAGAIN") (fd === 1 ? process.stdout : process.stderr).write(buf)
    else if (code !== "EPIPE") throw e
  }
}

const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
  return pkg.version
}

const helpText = (commands: ReadonlyArray<Command>, prefix: ReadonlyArray<string>): string => {
  const matching = commands.filter((c) => prefix.every((w, i) => c.path[i] === w))
  const lines = [`Usage: strata ${prefix.length ? prefix.join(" ") + " " : ""}COMMAND [OPTIONS]`, "", "Commands:"]
  const width = Math.max(...matching.map((c) => c.path.join(" ").length)) + 2
  for (const c of matching) lines.push(`  ${c.path.join(" ").padEnd(width)}${c.summary}`)
  if (prefix.length === 0) lines.push("", "Options:", "  -h, --help     show help", "  --version      print the version")
  return lines.join("\n")
}

const commandHelp = (c: Command): string => {
  const lines = [`Usage: strata ${c.path.join(" ")} ${c.usage}`, "", c.summary, "", "Options:"]
  for (const [name, o] of Object.entries(c.options)) {
    const short = o.short ? `-${o.short}, ` : "    "
    lines.push(`  ${short}--${name}${o.type === "string" ? "=VALUE" : ""}`)
  }
  return lines.join("\n")
}

/**
 * Finds the longest command whose words appear in order among argv's non-option tokens, so
 * `strata repo --repo=R commit …` works like `ostree --repo=R commit …`. Returns the command and
 * argv without the command's words.
 */
const find = <C extends { readonly path: ReadonlyArray<string> }>(commands: ReadonlyArray<C>, argv: ReadonlyArray<string>): [C | undefined, string[]] => {
  let best: [C, Set<number>] | undefined
  for (const c of commands) {
    const used = new Set<number>()
    let i = 0
    for (const w of c.path) {
      while (i < argv.length && argv[i]!.startsWith("-") && argv[i]!.includes("=")) i++
      if (argv[i] !== w) break
      used.add(i++)
    }
    if (used.size === c.path.length && (!best || c.path.length > best[0].path.length)) best = [c, used]
  }
  if (!best) return [undefined, [...argv]]
  return [best[0], argv.filter((_, i) => !best![1].has(i))]
}

export const main = async (argv: ReadonlyArray<string>, load: ModuleLoader = importModule): Promise<number> => {
  if (argv[0] === "--version") {
    emit(1, `strata ${version()}\n`)
    return 0
  }
  let cmd: Command | undefined
  let rest: string[] = [...argv]
  const manifest = readManifest()
  if (manifest) {
    const [entry, r] = find(manifest, argv)
    if (entry) {
      cmd = await loadEntry(entry, load)
      rest = r
    }
  }
  const commands = cmd ? [cmd] : await allCommands(load)
  if (!cmd) [cmd, rest] = find(commands, argv)
  if (!cmd) {
    const words = argv.filter((a) => !a.startsWith("-"))
    const prefix = words.slice(0, commands.some((c) => c.path[0] === words[0]) ? 1 : 0)
    const wantsHelp = argv.length === 0 || argv.includes("--help") || argv.includes("-h")
    emit(wantsHelp ? 1 : 2, helpText(commands, prefix) + "\n")
    if (!wantsHelp && words.length > prefix.length) process.stderr.write(`strata: unknown command "${words.slice(0, prefix.length + 1).join(" ")}"\n`)
    return wantsHelp ? 0 : 2
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    emit(1, commandHelp(cmd) + "\n")
    return 0
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...rest], options: cmd.options, allowPositionals: true, strict: true })
  } catch (e) {
    process.stderr.write(`strata ${cmd.path.join(" ")}: ${(e as Error).message}\n`)
    return 2
  }
  try {
    const out = await cmd.run(parsed as never)
    if (typeof out === "string") emit(1, out.endsWith("\n") || out === "" ? out : out + "\n")
    else if (out && "json" in out) emit(1, JSON.stringify(out.json, jsonReplacer, 2) + "\n")
    else if (out) {
      if (out.stdout !== undefined) emit(1, out.stdout)
      if (out.stderr) emit(2, out.stderr)
      return out.exitCode ?? 0
    }
    return 0
  } catch (e) {
    return report(e)
  }
}

const jsonReplacer = (_k: string, v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v)

/** One clear line on stderr; a stack only for programmer errors or with STRATA_DEBUG. */
export const report = (e: unknown): number => {
  const err = e as { _tag?: string; reason?: Reason; message?: string; stack?: string }
  if (err && typeof err._tag === "string") {
    process.stderr.write(`strata: ${err.message}\n`)
    if (process.env.STRATA_DEBUG) process.stderr.write(`${err.stack}\n`)
    return (err.reason && exitCodeFor[err.reason]) || 1
  }
  process.stderr.write(`strata: internal error: ${err?.message ?? String(e)}\n`)
  if (process.env.STRATA_DEBUG) process.stderr.write(`${err?.stack}\n`)
  return 70
}

/** Runs the command line of this process; bin/strata.js calls it. */
export const run = async (load?: ModuleLoader): Promise<void> => {
  process.exitCode = await main(process.argv.slice(2), load)
}
