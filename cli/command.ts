/**
 * A CLI command is a thin wrapper: parse flags → one library call → return text or JSON.
 * Handlers never print and hold no domain logic; `main.ts` renders and maps errors to exit codes.
 */
import type { ParseArgsConfig } from "node:util"

export type Options = NonNullable<ParseArgsConfig["options"]>

export interface Parsed {
  readonly values: Record<string, string | boolean | Array<string | boolean> | undefined>
  readonly positionals: ReadonlyArray<string>
}

/**
 * What a handler returns: lines for stdout, or a value printed as JSON, or — for commands whose
 * output is bytes (`cat`) or whose report must go out even when they fail (`fsck`) — raw
 * streams and an exit code, written as given.
 */
export type Output = string | { readonly json: unknown } | RawOutput | void

export interface RawOutput {
  readonly stdout?: string | Uint8Array
  readonly stderr?: string
  readonly exitCode?: number
}

export interface Command {
  /** Words after `strata`, e.g. ["repo", "commit"]. */
  readonly path: ReadonlyArray<string>
  readonly summary: string
  readonly usage: string
  readonly options: Options
  readonly run: (args: Parsed) => Promise<Output>
}

export const str = (v: Parsed["values"][string]): string | undefined =>
  Array.isArray(v) ? (v.at(-1) as string | undefined) : typeof v === "string" ? v : undefined

export const strs = (v: Parsed["values"][string]): string[] =>
  v === undefined ? [] : Array.isArray(v) ? (v.filter((x) => typeof x === "string") as string[]) : typeof v === "string" ? [v] : []

export const flag = (v: Parsed["values"][string]): boolean => v === true || (Array.isArray(v) && v.length > 0)
