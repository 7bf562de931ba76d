/**
 * rpm-ostree's client-side layering: `strata install`, `uninstall`, `override remove|replace|reset`
 * and `reset`. Each edits the merge deployment's origin and makes a NEW deployment from its base
 * plus the layers (src/machines/layer.ts): staged on a booted system (finalized at shutdown),
 * swapped straight into the boot list on an unbooted `--sysroot`. The booted deployment is never
 * modified.
 */
import type { Command, Options, Output, Parsed } from "./command.js"
import { flag, str, strs } from "./command.js"
import { onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "./sysroot-args.js"
import type { LayerEdit, LayerOutput } from "../src/machines/index.js"
import { TransactionError } from "../src/machines/runtime/error.js"

const common: Options = { ...sysrootOptions, os: { type: "string" }, json: { type: "boolean" } }

const lib = () => import("../src/machines/index.js")

const render = (o: LayerOutput): string => {
  if (!o.changed) return "No change."
  const lines: string[] = []
  if (o.installed.length) lines.push(`Added:\n${o.installed.map((p) => `  ${p}`).join("\n")}`)
  if (o.removed.length) lines.push(`Removed:\n${o.removed.map((p) => `  ${p}`).join("\n")}`)
  if (o.replaced.length) lines.push(`Replaced:\n${o.replaced.map((r) => `  ${r.old} -> ${r.new}`).join("\n")}`)
  if (o.inactive.length) lines.push(`Inactive requests:\n${o.inactive.map((p) => `  ${p}`).join("\n")}`)
  const id = o.deployment ?? ""
  lines.push(
    o.staged
      ? `Staged ${id}\nRun "strata admin finalize-staged" (at shutdown: strata-finalize-staged.service) or reboot to start using it.`
      : `Deployed ${id} (the default at the next boot)`,
  )
  return lines.join("\n")
}

const run = async (args: Parsed, edit: LayerEdit, localFiles: ReadonlyArray<{ sha256: string; path: string }> = []): Promise<Output> => {
  const sysroot = sysrootOf(args)
  const runDir = await runDirOf(args)
  const stateroot = str(args.values["os"])
  const m = await lib()
  const r = await m.runLayer({ sysroot, ...(runDir ? { runDir } : {}), ...(stateroot ? { stateroot } : {}), edit, localFiles, onWait })
  return flag(args.values["json"]) ? { json: { txn: r.txn, ...r.output } } : render(r.output)
}

/** Splits positionals into package names and local `.rpm` files (read now: bad files fail before any transaction). */
const split = async (args: ReadonlyArray<string>) => {
  const m = await lib()
  const locals = args.filter(m.isLocalRpm).map(m.localPackage)
  return { names: args.filter((a) => !m.isLocalRpm(a)), locals, localFiles: locals.map(({ sha256, path }) => ({ sha256, path })), localPkgs: locals.map(({ sha256, nevra }) => ({ sha256, nevra })) }
}

/**
 * `--apply-live` (rpm-ostree's): after the new deployment is staged, its changes are applied to
 * the running system through a transient overlay on /usr (cli/live.ts, src/machines/live.ts).
 * That needs the system that is running, i.e. a booted deployment — one whose directory is `/`,
 * known through the run dir's `ostree-booted` — checked before anything is read or written.
 */
const requireBooted = async (args: Parsed): Promise<void> => {
  const sysroot = sysrootOf(args)
  const runDir = await runDirOf(args)
  const { loadSysroot } = await import("../src/io/sysroot/read-state.js")
  const booted = runDir !== undefined && (await loadSysroot({ sysroot, runDir })).bootedIndex !== undefined
  if (!booted) throw new TransactionError({ op: "install", reason: "Invalid", detail: `--apply-live needs a booted system; ${sysroot} is not booted (${runDir === undefined ? "no run dir with ostree-booted" : `no deployment of it is the running /`})` })
}

export const install: Command = {
  path: ["install"],
  summary: "Layer packages (names from the deployment's repositories, or ./FILE.rpm) onto a new deployment",
  usage: "PACKAGE|./FILE.rpm... [--idempotent] [--allow-inactive] [-A|--apply-live] [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, idempotent: { type: "boolean" }, "allow-inactive": { type: "boolean" }, "apply-live": { type: "boolean", short: "A" } },
  run: async (args) => {
    if (!args.positionals.length) throw usage("install", "missing PACKAGE")
    const live = flag(args.values["apply-live"])
    if (live) await requireBooted(args)
    const s = await split(args.positionals)
    const out = await run(args, { op: "install", packages: s.names, locals: s.localPkgs, idempotent: flag(args.values["idempotent"]), allowInactive: flag(args.values["allow-inactive"]) }, s.localFiles)
    if (!live) return out
    // A second transaction, as in rpm-ostree: the staged deployment stays if the live part is refused.
    const { applyLiveFor, renderLive } = await import("./live.js")
    const r = await applyLiveFor(args, {})
    if (flag(args.values["json"])) return { json: { ...(out as { json: object }).json, live: { txn: r.txn, ...r.output } } }
    return `${out as string}\n${renderLive(r.output)}`
  },
}

export const uninstall: Command = {
  path: ["uninstall"],
  summary: "Remove layered packages (a new deployment without them)",
  usage: "PACKAGE... | --all [--idempotent] [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, all: { type: "boolean" }, idempotent: { type: "boolean" } },
  run: async (args) => {
    const all = flag(args.values["all"])
    if (!all && !args.positionals.length) throw usage("uninstall", "missing PACKAGE (or --all)")
    if (all && args.positionals.length) throw usage("uninstall", "--all takes no PACKAGE")
    return run(args, { op: "uninstall", packages: [...args.positionals], all, idempotent: flag(args.values["idempotent"]) })
  },
}

export const overrideRemove: Command = {
  path: ["override", "remove"],
  summary: "Remove base packages from a new deployment (optionally replaced by local RPMs)",
  usage: "PACKAGE... [--replace-with=./FILE.rpm]... [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, "replace-with": { type: "string", multiple: true } },
  run: async (args) => {
    if (!args.positionals.length) throw usage("override remove", "missing PACKAGE")
    const s = await split(strs(args.values["replace-with"]))
    if (s.names.length) throw usage("override remove", `--replace-with takes ./FILE.rpm, got "${s.names[0]}"`)
    return run(args, { op: "override-remove", packages: [...args.positionals], replaceWith: s.localPkgs }, s.localFiles)
  },
}

export const overrideReplace: Command = {
  path: ["override", "replace"],
  summary: "Replace base packages by local RPMs, or by a repository's versions (--from repo=REPO)",
  usage: "./FILE.rpm... | --from repo=REPO PACKAGE... [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, from: { type: "string" } },
  run: async (args) => {
    const from = str(args.values["from"])
    if (!args.positionals.length) throw usage("override replace", "missing ./FILE.rpm or PACKAGE")
    if (from !== undefined) {
      const m = /^repo=(.+)$/.exec(from)
      if (!m) throw usage("override replace", `--from takes repo=REPO, got "${from}"`)
      return run(args, { op: "override-replace", locals: [], from: { repo: m[1]!, packages: [...args.positionals] } })
    }
    const s = await split(args.positionals)
    if (s.names.length) throw usage("override replace", `"${s.names[0]}" is not a ./FILE.rpm (use --from repo=REPO for repository packages)`)
    return run(args, { op: "override-replace", locals: s.localPkgs }, s.localFiles)
  },
}

export const overrideReset: Command = {
  path: ["override", "reset"],
  summary: "Drop overrides (back to the base's package)",
  usage: "PACKAGE... | --all [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, all: { type: "boolean" } },
  run: async (args) => {
    const all = flag(args.values["all"])
    if (!all && !args.positionals.length) throw usage("override reset", "missing PACKAGE (or --all)")
    return run(args, { op: "override-reset", packages: [...args.positionals], all })
  },
}

export const reset: Command = {
  path: ["reset"],
  summary: "Drop layered packages and overrides (both by default): a new deployment of the plain base",
  usage: "[--overlays] [--overrides] [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, overlays: { type: "boolean", short: "l" }, overrides: { type: "boolean", short: "o" } },
  run: async (args) => {
    if (args.positionals.length) throw usage("reset", `unexpected argument "${args.positionals[0]}"`)
    return run(args, { op: "reset", overlays: flag(args.values["overlays"]), overrides: flag(args.values["overrides"]) })
  },
}

export const layerCommands: ReadonlyArray<Command> = [install, uninstall, overrideRemove, overrideReplace, overrideReset, reset]
