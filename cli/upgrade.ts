/**
 * `strata upgrade`, `strata deploy VERSION|CHECKSUM`, `strata rebase [REMOTE:]REF` (rpm-ostree's):
 * pull the origin's commit and stage it (an `upgrade` transaction); the bootloader switches in
 * `strata admin finalize-staged` at shutdown (dist-files/strata-finalize-staged.service).
 *
 * `--reboot` finalizes at once (a `finalize-staged` transaction) and prints the reboot to do:
 * strata never reboots the machine itself. `--check` reports an update (exit 77 when there is
 * none), `--preview` also lists the packages that change (both fetch only the commit and its
 * metadata, never the tree), `--download-only` pulls and stops.
 */
import type { Command, Options, Output, Parsed } from "./command.js"
import { flag, str } from "./command.js"
import type { PullProgress } from "../src/io/remote/progress.js"
import { pullProgressView } from "./progress.js"
import { onWait, runDirOf, sysrootOf, sysrootOptions, usage } from "./sysroot-args.js"
import type { UpgradeAction, UpgradeOptions, UpgradeOutput } from "../src/machines/upgrade.js"

const common: Options = {
  ...sysrootOptions,
  os: { type: "string" },
  reboot: { type: "boolean", short: "r" },
  "download-only": { type: "boolean" },
  preview: { type: "boolean" },
  json: { type: "boolean" },
}

const when = (ts: string | undefined): string => (ts ? new Date(Number(ts) * 1000).toISOString().replace(/\.000Z$/, "Z") : "")

const describe = (o: UpgradeOutput): string =>
  [`${o.version !== undefined ? `        Version: ${o.version} (${when(o.timestamp)})\n` : ""}         Commit: ${o.target}`].join("")

/**
 * The package diff of an update, as rpm-ostree's `--preview` prints it, from the commits'
 * `rpmostree.rpmdb.pkglist` alone: the new commit was pulled metadata-only (its tree is not
 * here), the deployed one may fall back to its rpmdb.
 */
const previewDiff = async (sysroot: string, from: string, to: string): Promise<string> => {
  const [{ openRepo }, { loadCommit }, { pkglistOfCommit }, { pkglistFromMetadata }, pd, { repoPath }] = await Promise.all([
    import("../src/io/repo/repo.js"), import("../src/io/repo/object-read.js"), import("../src/io/repo/commit-pkglist.js"),
    import("../src/formats/rpmostree/pkglist.js"), import("../src/formats/rpmostree/pkg-diff.js"), import("../src/io/sysroot/layout.js"),
  ])
  const repo = await openRepo(repoPath(sysroot))
  const next = pkglistFromMetadata((await loadCommit(repo, to)).metadata)
  const cur = next && (await pkglistOfCommit(repo, from).catch(() => undefined))
  if (!next || !cur) return `Diff: unavailable (${next ? `commit ${from}` : `commit ${to}`} has no package list)`
  const d = pd.diffPkglists(cur.packages, next)
  const counts = [[pd.upgraded(d).length, "upgraded"], [pd.downgraded(d).length, "downgraded"], [d.removed.length, "removed"], [d.added.length, "added"]] as const
  const summary = counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`).join(", ") || "no package changes"
  return [`Diff: ${summary}`, ...pd.renderDiffBlock(d)].join("\n")
}

const run = async (args: Parsed, o: Omit<UpgradeOptions, "action" | "runDir" | "stateroot">, op: string): Promise<Output> => {
  const sysroot = sysrootOf(args)
  const check = flag(args.values["check"])
  const preview = flag(args.values["preview"])
  const download = flag(args.values["download-only"])
  const reboot = flag(args.values["reboot"])
  if ([check, preview, download].filter(Boolean).length > 1) throw usage(op, "--check, --preview and --download-only are exclusive")
  if (reboot && (check || preview || download)) throw usage(op, "--reboot cannot be combined with --check, --preview or --download-only")
  const action: UpgradeAction = check ? "check" : preview ? "preview" : download ? "download" : "stage"
  const runDir = await runDirOf(args)
  const stateroot = str(args.values["os"])
  const m = await import("../src/machines/index.js") // upgrade machines: not in machines() (sysroot-commands.ts)
  const view = await pullProgressView()
  const common = {
    sysroot,
    runDir,
    plan: m.planUpgrade({ ...o, action, ...(runDir ? { runDir } : {}), ...(stateroot !== undefined ? { stateroot } : {}) }),
    onWait,
    ...(view.onProgress ? { onProgress: (step: string, p: unknown) => step === "pull" && view.onProgress!(p as PullProgress) } : {}),
  }
  // an unbooted sysroot has no shutdown to finalize a staged deployment: deploy it directly
  const r = await (action === "stage" && !runDir
    ? m.runSysrootTransaction({ ...common, definition: m.upgradeDeployTransaction })
    : m.runSysrootTransaction({ ...common, definition: m.upgradeTransaction })
  ).finally(() => view.stop())
  const out = r.output
  const json = flag(args.values["json"])
  const none = { stdout: json ? `${JSON.stringify({ txn: r.txn, ...out })}\n` : "No updates available.\n", exitCode: 77 }
  if (action === "check" || action === "preview") {
    if (!out.changed) return none
    const diff = action === "preview" ? await previewDiff(sysroot, out.from, out.target!) : undefined
    if (json) return { json: { txn: r.txn, ...out, ...(diff !== undefined ? { diff } : {}) } }
    return `AvailableUpdate:\n${describe(out)}${diff !== undefined ? `\n${diff}` : ""}`
  }
  if (!out.changed) {
    if (json) return { json: { txn: r.txn, ...out } }
    return flag(args.values["unchanged-exit-77"]) ? { ...none, stdout: "No upgrade available.\n" } : "No upgrade available."
  }
  if (action === "download") return json ? { json: { txn: r.txn, ...out } } : `Downloaded:\n${describe(out)}`
  if (!runDir) return json ? { json: { txn: r.txn, ...out } } : `Deployed ${out.deployment}\n${describe(out)}\nIt is the default deployment at the next boot of this sysroot.`
  if (!reboot) {
    return json ? { json: { txn: r.txn, ...out } } : `Staged ${out.deployment}\n${describe(out)}\nRun "strata admin finalize-staged" (at shutdown: strata-finalize-staged.service) or reboot to start using it.`
  }
  const f = await m.runSysrootTransaction({ sysroot, runDir, definition: m.finalizeStagedTransaction, plan: m.planFinalize({ ...(runDir ? { runDir } : {}) }), onWait })
  if (json) return { json: { txn: r.txn, finalizeTxn: f.txn, ...out, finalized: true } }
  return `Staged and finalized ${out.deployment}\n${describe(out)}\nIt is the default deployment now; strata does not reboot: run "systemctl reboot" to boot into it.`
}

export const upgrade: Command = {
  path: ["upgrade"],
  summary: "Pull the origin's newest commit and stage it (finalized at shutdown; --reboot: now)",
  usage: "[--check | --preview | --download-only] [--allow-downgrade] [--reboot] [--unchanged-exit-77] [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, check: { type: "boolean" }, "allow-downgrade": { type: "boolean" }, "unchanged-exit-77": { type: "boolean" } },
  run: (args) => {
    if (args.positionals.length) throw usage("upgrade", `unexpected argument "${args.positionals[0]}"`)
    return run(args, { mode: "upgrade", allowDowngrade: flag(args.values["allow-downgrade"]) }, "upgrade")
  },
}

export const deployVersion: Command = {
  path: ["deploy"],
  summary: "Stage a given version or commit of the origin's ref (finalized at shutdown; --reboot: now)",
  usage: "VERSION|CHECKSUM [--preview | --download-only] [--reboot] [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: common,
  run: (args) => {
    const revision = args.positionals[0]
    if (!revision) throw usage("deploy", "missing VERSION or CHECKSUM")
    return run(args, { mode: "deploy", revision }, "deploy")
  },
}

export const rebase: Command = {
  path: ["rebase"],
  summary: "Switch the origin to another [REMOTE:]REF and stage its commit (finalized at shutdown; --reboot: now)",
  usage: "[REMOTE:]REF [--download-only] [--reboot] [--os=STATEROOT] [--json] [--sysroot PATH] [--run-dir DIR]",
  options: { ...common, preview: { type: "boolean" } },
  run: (args) => {
    const refspec = args.positionals[0]
    if (!refspec) throw usage("rebase", "missing REFSPEC")
    return run(args, { mode: "rebase", refspec }, "rebase")
  },
}

export const upgradeCommands: ReadonlyArray<Command> = [upgrade, deployVersion, rebase]
