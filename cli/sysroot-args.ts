/**
 * What every sysroot command shares: `--sysroot PATH` (default `/`), `--run-dir DIR` (the booted
 * system's /run: the staged deployment's state file; default /run for sysroot `/`, or
 * STRATA_RUN_DIR), the lock-wait message, and how a transaction is run. The machines load only
 * when a command runs (`machines()`), so they add nothing to the start-up of other commands.
 */
import type { Options, Parsed } from "./command.js"
import { str } from "./command.js"
import { TransactionError } from "../src/machines/runtime/error.js"

export const sysrootOptions: Options = { sysroot: { type: "string" }, "run-dir": { type: "string" } }

export const sysrootOf = (args: Parsed): string => str(args.values["sysroot"]) ?? "/"

/** Lock contention: the "waiting for the sysroot lock …" line goes to stderr as it happens. */
export const onWait = (m: string): void => void process.stderr.write(`strata: ${m}\n`)

/** The sysroot machines and runner (not the upgrade/layer/compose ones: see sysroot-commands.ts). */
export const machines = () => import("../src/machines/sysroot-commands.js")

/** The run directory of a booted system, or undefined (see src/machines/run-dir.ts). */
export const runDirOf = async (args: Parsed): Promise<string | undefined> => {
  const { resolveRunDir } = await import("../src/machines/run-dir.js")
  return resolveRunDir(sysrootOf(args), str(args.values["run-dir"]))
}

export const usage = (op: string, detail: string): TransactionError => new TransactionError({ op, reason: "Invalid", detail })

/** A non-negative integer positional (an index into the deployment list). */
export const indexArg = (args: Parsed, i: number, op: string): number => {
  const v = args.positionals[i]
  if (v === undefined || !/^\d+$/.test(v)) throw usage(op, v === undefined ? "missing INDEX" : `INDEX must be a non-negative integer, got "${v}"`)
  return Number(v)
}

/** `$stateroot-$checksum.$serial` → `$checksum.$serial`, as ostree names deployments in messages. */
export const shortName = (id: string): string => id.slice(id.lastIndexOf("-") + 1)
