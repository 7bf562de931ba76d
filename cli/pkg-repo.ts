/**
 * `strata pkg repos|query|db …`: configured rpm-md repositories, queries over their metadata,
 * and a tree's rpmdb (list, and diff between two trees like `rpm-ostree db diff`).
 */
import { join } from "node:path"
import { homedir } from "node:os"
import type { Command, Parsed } from "./command.js"
import { flag, str } from "./command.js"
import { RpmError } from "../src/io/rpm/error.js"

const mods = async () => {
  const [repos, meta, query, rpmdb, info, evr, header, tags] = await Promise.all([
    import("../src/io/rpm/repos.js"), import("../src/io/rpm/repo-metadata.js"), import("../src/io/rpm/query.js"),
    import("../src/io/rpm/rpmdb.js"), import("../src/formats/rpm/info.js"), import("../src/formats/rpm/evr.js"),
    import("../src/formats/rpm/header.js"), import("../src/formats/rpm/tags.js"),
  ])
  return { ...repos, ...meta, ...query, ...rpmdb, ...info, ...evr, ...header, ...tags }
}

const repoOptions = {
  "repos-dir": { type: "string" },
  releasever: { type: "string" },
  root: { type: "string" },
  json: { type: "boolean" },
} as const

const configs = async (args: Parsed) => {
  const m = await mods()
  const root = str(args.values["root"]) ?? "/"
  const releasever = str(args.values["releasever"]) ?? m.releaseverOf(root)
  return m.loadRepoConfigs({ reposDir: str(args.values["repos-dir"]) ?? join(root, "etc/yum.repos.d"), vars: releasever ? { releasever } : {} })
}

const repos: Command = {
  path: ["pkg", "repos"],
  summary: "List the configured rpm-md repositories (.repo files)",
  usage: "[--repos-dir DIR] [--releasever V] [--root TREE] [--json]",
  options: repoOptions,
  run: async (args) => {
    const list = await configs(args)
    if (flag(args.values["json"])) return { json: list.map((r) => ({ ...r, metadataExpire: Number.isFinite(r.metadataExpire) ? r.metadataExpire : -1 })) }
    return list.map((r) => `${r.id.padEnd(24)} ${r.enabled ? "enabled " : "disabled"} ${r.name}\n${" ".repeat(25)}${r.baseurl.join(" ") || r.metalink || r.mirrorlist}`).join("\n")
  },
}

const query: Command = {
  path: ["pkg", "query"],
  summary: "Query enabled repositories: all packages, --whatprovides CAP, or --requires NAME",
  usage: "[--whatprovides CAP] [--requires NAME] [--repos-dir DIR] [--cache-dir DIR] [--refresh] [--json]",
  options: { ...repoOptions, whatprovides: { type: "string" }, requires: { type: "string" }, "cache-dir": { type: "string" }, refresh: { type: "boolean" } },
  run: async (args) => {
    const m = await mods()
    const cacheDir = str(args.values["cache-dir"]) ?? join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "strata", "rpm-md")
    const cap = str(args.values["whatprovides"])
    const files = cap?.startsWith("/") ?? false
    const indexes = []
    for (const repo of (await configs(args)).filter((r) => r.enabled))
      indexes.push(await m.loadRepo({ repo, cacheDir, filelists: files, refresh: flag(args.values["refresh"]) }))
    const json = flag(args.values["json"])
    const req = str(args.values["requires"])
    if (cap !== undefined && req === undefined) {
      // from the columns: only the candidates become package records
      const hits = indexes.flatMap((idx) => m.whatProvidesIn(idx.table, cap).filter((p) => idx.accepts(p.name)))
      const names = [...new Set(hits.map(m.nevraOfMd))].sort()
      return json ? { json: names } : names.join("\n")
    }
    const packages = indexes.flatMap((idx) => idx.packages)
    if (req !== undefined) {
      const found = m.requiresOf(packages, req)
      if (!found.length) throw new RpmError({ op: "pkg query", reason: "NotFound", detail: `no package named ${req}` })
      return json ? { json: found.map((f) => ({ nevra: m.nevraOfMd(f.pkg), requires: f.requires })) } : [...new Set(found.flatMap((f) => f.requires))].sort().join("\n")
    }
    const names = [...new Set(packages.map(m.nevraOfMd))].sort()
    return json ? { json: names } : names.join("\n")
  },
}

const installed = async (root: string) => {
  const m = await mods()
  const db = m.findRpmdb(root)
  if (!db) throw new RpmError({ op: "pkg db", path: root, reason: "NotFound", detail: "no rpmdb in this tree" })
  return m.readRpmdb(db).map((p) => ({ name: m.string(p.header, m.T.NAME)!, arch: m.packageArch(p.header), nevra: m.nevraOf(p.header), evr: m.nevraOf(p.header).slice(m.string(p.header, m.T.NAME)!.length + 1, -(m.packageArch(p.header).length + 1)) }))
}

const dbList: Command = {
  path: ["pkg", "db", "list"],
  summary: "List the packages in a tree's rpmdb",
  usage: "[--root TREE] [--json]",
  options: { root: { type: "string" }, json: { type: "boolean" } },
  run: async (args) => {
    const list = (await installed(str(args.values["root"]) ?? "/")).map((p) => p.nevra).sort()
    return flag(args.values["json"]) ? { json: list } : list.join("\n")
  },
}

const dbDiff: Command = {
  path: ["pkg", "db", "diff"],
  summary: "Compare the rpmdbs of two trees: added, removed, upgraded, downgraded",
  usage: "TREE_A TREE_B [--json]",
  options: { json: { type: "boolean" } },
  run: async (args) => {
    const [a, b] = args.positionals
    if (!a || !b) throw new RpmError({ op: "pkg db diff", reason: "Invalid", detail: "usage: pkg db diff TREE_A TREE_B" })
    const m = await mods()
    const key = (p: { name: string; arch: string }) => `${p.name}.${p.arch}`
    const before = new Map((await installed(a)).map((p) => [key(p), p]))
    const after = new Map((await installed(b)).map((p) => [key(p), p]))
    const diff = { upgraded: [] as string[], downgraded: [] as string[], removed: [] as string[], added: [] as string[] }
    for (const [k, p] of before) {
      const q = after.get(k)
      if (!q) diff.removed.push(p.nevra)
      else {
        const c = m.compareEvr(p.evr, q.evr)
        if (c < 0) diff.upgraded.push(`${p.name} ${p.evr} -> ${q.evr}`)
        else if (c > 0) diff.downgraded.push(`${p.name} ${p.evr} -> ${q.evr}`)
      }
    }
    for (const [k, q] of after) if (!before.has(k)) diff.added.push(q.nevra)
    for (const l of Object.values(diff)) l.sort()
    if (flag(args.values["json"])) return { json: diff }
    const out: string[] = []
    for (const [title, l] of [["Upgraded", diff.upgraded], ["Downgraded", diff.downgraded], ["Removed", diff.removed], ["Added", diff.added]] as const)
      if (l.length) out.push(`${title}:`, ...l.map((x) => `  ${x}`))
    return out.join("\n")
  },
}

export const pkgRepoCommands: ReadonlyArray<Command> = [repos, query, dbList, dbDiff]
