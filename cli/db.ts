/**
 * `strata db diff` and `strata db list` (rpm-ostree db): package lists of commits and deployments,
 * from `rpmostree.rpmdb.pkglist` or the commit's rpmdb. Output as rpm-ostree prints it
 * (FORMATS.md 7.5). The library side is src/machines/db.ts.
 */
import type { Command, Parsed } from "./command.js"
import { flag, str } from "./command.js"
import { runDirOf, sysrootOf, sysrootOptions } from "./sysroot-args.js"
import { RepoError } from "../src/io/repo/error.js"

const dbOptions = async (args: Parsed) => {
  const repo = str(args.values["repo"])
  const runDir = await runDirOf(args)
  return { sysroot: sysrootOf(args), ...(runDir ? { runDir } : {}), ...(repo ? { repo } : {}) }
}

/** `ostree diff commit from: DESC (CSUM)`, the checksum left out when it is the description. */
const described = (t: { desc: string; checksum: string }): string => (t.desc === t.checksum ? t.desc : `${t.desc} (${t.checksum})`)

const FORMATS = ["block", "diff", "json"] as const

export const dbDiff: Command = {
  path: ["db", "diff"],
  summary: "Show package changes between two commits (default: booted vs pending, else rollback vs booted)",
  usage: "[FROM [TO]] [--format=block|diff|json] [--base] [--repo PATH] [--sysroot PATH] [--run-dir DIR]",
  options: { ...sysrootOptions, repo: { type: "string", short: "r" }, format: { type: "string", short: "F" }, base: { type: "boolean" } },
  run: async (args) => {
    const format = str(args.values["format"]) ?? "block"
    if (!(FORMATS as ReadonlyArray<string>).includes(format)) throw new RepoError({ op: "db diff", reason: "Invalid", detail: `format argument is invalid, pick one of: diff, block, json (got "${format}")` })
    const [{ dbDiff }, render] = await Promise.all([import("../src/machines/db.js"), import("../src/formats/rpmostree/pkg-diff.js")])
    const r = await dbDiff({ ...(await dbOptions(args)), revs: args.positionals, base: flag(args.values["base"]) })
    const stderr = r.note ? `note: ${r.note}\n` : ""
    if (format === "json") {
      const json = { "ostree-commit-from": r.from.checksum, "ostree-commit-to": r.to.checksum, pkgdiff: render.pkgdiffJson(r.diff), advisories: [] }
      return { stdout: JSON.stringify(json, null, 2) + "\n", stderr }
    }
    const lines = [`ostree diff commit from: ${described(r.from)}`, `ostree diff commit to:   ${described(r.to)}`]
    lines.push(...(format === "diff" ? render.renderDiffLines(r.diff) : render.renderDiffBlock(r.diff)))
    return { stdout: lines.join("\n") + "\n", stderr }
  },
}

export const dbList: Command = {
  path: ["db", "list"],
  summary: "List the packages of commits (default: the booted deployment), optionally only those matching PATTERNs",
  usage: "[REV...] [PATTERN...] [--repo PATH] [--sysroot PATH] [--run-dir DIR]",
  options: { ...sysrootOptions, repo: { type: "string", short: "r" } },
  run: async (args) => {
    const [{ dbList }, { pkgNevra }] = await Promise.all([import("../src/machines/db.js"), import("../src/formats/rpmostree/pkglist.js")])
    const r = await dbList({ ...(await dbOptions(args)), args: args.positionals })
    const lines: string[] = []
    for (const { target, packages } of r.lists) lines.push(`ostree commit: ${described(target)}`, ...packages.map((p) => ` ${pkgNevra(p)}`))
    return { stdout: lines.join("\n") + "\n", stderr: r.note ? `note: ${r.note}\n` : "" }
  },
}

export const dbCommands: ReadonlyArray<Command> = [dbDiff, dbList]
