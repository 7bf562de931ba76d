/**
 * `strata compose tree TREEFILE --repo REPO [--cachedir DIR] [--workdir DIR] [--dry-run]
 * [--print-only] [--force-nocache] [--add-metadata-string K=V]... [--write-commitid-to FILE]`:
 * rpm-ostree's server-side compose. A thin wrapper over composeTree (src/machines/compose-tree.ts).
 */
import type { Command } from "./command.js"
import { flag, str, strs } from "./command.js"
import { onWait, usage } from "./sysroot-args.js"

const tree: Command = {
  path: ["compose", "tree"],
  summary: "Compose an OSTree commit from an rpm-ostree treefile (depsolve, download, assemble, post-process, commit)",
  usage: "TREEFILE --repo REPO [--cachedir DIR] [--workdir DIR] [--dry-run] [--print-only] [--force-nocache] [--add-metadata-string K=V]... [--write-commitid-to FILE] [--arch BASEARCH]",
  options: {
    repo: { type: "string" },
    cachedir: { type: "string" },
    workdir: { type: "string" },
    "dry-run": { type: "boolean" },
    "print-only": { type: "boolean" },
    "force-nocache": { type: "boolean" },
    "add-metadata-string": { type: "string", multiple: true },
    "write-commitid-to": { type: "string" },
    arch: { type: "string" },
  },
  run: async (args) => {
    const op = "compose tree"
    const treefile = args.positionals[0]
    if (treefile === undefined) throw usage(op, "missing TREEFILE")
    if (args.positionals.length > 1) throw usage(op, `unexpected argument: ${args.positionals[1]}`)
    const printOnly = flag(args.values["print-only"])
    const repo = str(args.values["repo"])
    if (repo === undefined && !printOnly) throw usage(op, "--repo REPO is required")
    const addMetadata: Record<string, string> = {}
    for (const kv of strs(args.values["add-metadata-string"])) {
      const i = kv.indexOf("=")
      if (i <= 0) throw usage(op, `--add-metadata-string needs KEY=VALUE, got "${kv}"`)
      addMetadata[kv.slice(0, i)] = kv.slice(i + 1)
    }
    const { composeTree, NO_CHANGE_MESSAGE } = await import("../src/machines/compose-tree.js")
    const cachedir = str(args.values["cachedir"])
    const workdir = str(args.values["workdir"])
    const commitid = str(args.values["write-commitid-to"])
    const arch = str(args.values["arch"])
    const r = await composeTree({
      treefile, repo: repo ?? "", printOnly, dryRun: flag(args.values["dry-run"]), forceNocache: flag(args.values["force-nocache"]), addMetadata, onWait,
      ...(cachedir !== undefined ? { cachedir } : {}), ...(workdir !== undefined ? { workdir } : {}),
      ...(commitid !== undefined ? { writeCommitidTo: commitid } : {}), ...(arch !== undefined ? { basearch: arch } : {}),
    })
    switch (r.kind) {
      case "print-only":
        return r.json
      case "dry-run":
        return [`Installing ${r.packages.length} packages:`, ...r.packages.map((p) => `  ${p.nevra} (${p.repo})`)].join("\n")
      case "no-change":
        return NO_CHANGE_MESSAGE
      case "committed":
        return [...(r.version !== undefined ? [`Version: ${r.version}`] : []), `Wrote commit: ${r.commit}`, `${r.ref} => ${r.commit}`].join("\n")
    }
  },
}

export const composeCommands: ReadonlyArray<Command> = [tree]
