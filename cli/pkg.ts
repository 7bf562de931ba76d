/**
 * `strata pkg …` for package files: info, contents, verify, unpack, install (unpack into a tree
 * through the import cache and record in its rpmdb). Thin wrappers over src/io/rpm; the rpm
 * modules load only when a pkg command runs.
 */
import { existsSync, statSync } from "node:fs"
import { join } from "node:path"
import { tmpdir } from "node:os"
import type { Command, Parsed } from "./command.js"
import { flag, str, strs } from "./command.js"
import { RpmError } from "../src/io/rpm/error.js"
import { pkgRepoCommands } from "./pkg-repo.js"

const rpm = async () => {
  const [read, info, files, deps, verify, unpack, cache, rpmdb, header, tags] = await Promise.all([
    import("../src/io/rpm/read.js"), import("../src/formats/rpm/info.js"), import("../src/formats/rpm/files.js"),
    import("../src/formats/rpm/deps.js"), import("../src/io/rpm/verify.js"), import("../src/io/rpm/unpack.js"),
    import("../src/io/rpm/import-cache.js"), import("../src/io/rpm/rpmdb.js"), import("../src/formats/rpm/header.js"),
    import("../src/formats/rpm/tags.js"),
  ])
  return { ...read, ...info, ...files, ...deps, ...verify, ...unpack, ...cache, ...rpmdb, ...header, ...tags }
}

const one = (args: Parsed, what: string, op: string): string => {
  const v = args.positionals[0]
  if (!v) throw new RpmError({ op, reason: "Invalid", detail: `missing ${what}` })
  return v
}

const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile()
const date = (t: number | undefined): string => (t === undefined ? "" : new Date(t * 1000).toUTCString())

const info: Command = {
  path: ["pkg", "info"],
  summary: "Show a package's metadata and dependencies (an .rpm file, or a name installed in --root)",
  usage: "FILE.rpm|NAME [--root TREE] [--json]",
  options: { root: { type: "string" }, json: { type: "boolean" } },
  run: async (args) => {
    const target = one(args, "FILE.rpm or NAME", "pkg info")
    const r = await rpm()
    let headers
    if (isFile(target)) headers = [r.readPackageFront(target).header]
    else {
      const root = str(args.values["root"]) ?? "/"
      const db = r.findRpmdb(root)
      if (!db) throw new RpmError({ op: "pkg info", path: root, reason: "NotFound", detail: "no rpmdb in this tree" })
      headers = r.readRpmdb(db).map((p) => p.header).filter((h) => r.string(h, r.T.NAME) === target)
      if (!headers.length) throw new RpmError({ op: "pkg info", reason: "NotFound", detail: `package ${target} is not installed` })
    }
    const out = headers.map((h) => ({ ...r.packageInfo(h), ...(Object.fromEntries(r.DEP_KINDS.map((k) => [k, r.deps(h, k).map(r.formatDepOf)])) as Record<string, string[]>) }))
    if (flag(args.values["json"])) return { json: out.length === 1 ? out[0] : out }
    return out
      .map((p) => {
        const lines = [
          ["Name", p.name], ["Epoch", p.epoch], ["Version", p.version], ["Release", p.release], ["Architecture", p.arch],
          ["Size", p.installedSize], ["License", p.license], ["Source RPM", p.sourceRpm], ["Build Date", date(p.buildTime)],
          ["Build Host", p.buildHost], ["URL", p.url], ["Summary", p.summary],
        ].filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => `${String(k).padEnd(12)}: ${v}`)
        lines.push(`Description :\n${p.description}`)
        for (const k of r.DEP_KINDS) {
          const list = (p as unknown as Record<string, string[]>)[k]!
          if (list.length) lines.push(`${k[0]!.toUpperCase()}${k.slice(1)}:`, ...list.map((d) => `  ${d}`))
        }
        return lines.join("\n")
      })
      .join("\n\n")
  },
}

const contents: Command = {
  path: ["pkg", "contents"],
  summary: "List the files in an .rpm (like rpm -qlp; -v for modes, owners, sizes and flags)",
  usage: "FILE.rpm [-v] [--json]",
  options: { verbose: { type: "boolean", short: "v" }, json: { type: "boolean" } },
  run: async (args) => {
    const path = one(args, "FILE.rpm", "pkg contents")
    const r = await rpm()
    const list = r.files(r.readPackageFront(path).header)
    if (flag(args.values["json"])) return { json: list }
    if (!flag(args.values["verbose"])) return list.map((f) => f.path).join("\n")
    return list
      .map((f) => `${f.mode.toString(8).padStart(7, "0")} ${f.user}/${f.group} ${String(f.size).padStart(10)} ${r.flagLetters(f.flags).padEnd(3)} ${f.path}${f.linkto ? ` -> ${f.linkto}` : ""}${f.caps ? ` [${f.caps}]` : ""}`)
      .join("\n")
  },
}

const verify: Command = {
  path: ["pkg", "verify"],
  summary: "Check an .rpm's digests and signatures (like rpm -K); --key adds OpenPGP keys",
  usage: "FILE.rpm... [--key FILE|DIR]... [--json]",
  options: { key: { type: "string", multiple: true }, json: { type: "boolean" } },
  run: async (args) => {
    if (!args.positionals.length) throw new RpmError({ op: "pkg verify", reason: "Invalid", detail: "missing FILE.rpm" })
    const r = await rpm()
    const keyring = await r.loadKeyring(strs(args.values["key"]))
    const reports = []
    for (const p of args.positionals) reports.push(await r.verifyPackage({ path: p, keyring }))
    const ok = reports.every((x) => x.digestsOk && (x.signatures.every((s) => s.status === "skipped") || x.signaturesOk))
    const text = flag(args.values["json"]) ? JSON.stringify(reports, null, 2) + "\n" : reports.map((x) => `${x.path}: ${r.verdict(x)}`).join("\n") + "\n"
    return { stdout: text, exitCode: ok ? 0 : 1 }
  },
}

const unpack: Command = {
  path: ["pkg", "unpack"],
  summary: "Unpack an .rpm's files into a new (or empty) directory, safely and verified",
  usage: "FILE.rpm DIR [--owners-from TREE]",
  options: { "owners-from": { type: "string" } },
  run: async (args) => {
    const [path, dest] = args.positionals
    if (!path || !dest) throw new RpmError({ op: "pkg unpack", reason: "Invalid", detail: "usage: pkg unpack FILE.rpm DIR" })
    const r = await rpm()
    const res = await r.unpackPackage({ path, dest, ownersFrom: str(args.values["owners-from"]) })
    return [...res.warnings.map((w) => `warning: ${w}`), `${res.files} files, ${res.bytes} bytes unpacked into ${res.dest}`].join("\n")
  },
}

const install: Command = {
  path: ["pkg", "install"],
  summary: "Install .rpm files into a tree: unpack through the import cache, record in its rpmdb",
  usage: "FILE.rpm... --root TREE [--cache DIR] [--copy]",
  options: { root: { type: "string" }, cache: { type: "string" }, copy: { type: "boolean" } },
  run: async (args) => {
    const root = str(args.values["root"])
    if (!root || !args.positionals.length) throw new RpmError({ op: "pkg install", reason: "Invalid", detail: "usage: pkg install FILE.rpm... --root TREE" })
    const r = await rpm()
    const cacheDir = str(args.values["cache"]) ?? join(tmpdir(), "strata-pkgcache")
    const fronts = []
    const lines: string[] = []
    // verify and import every package before touching the tree, so a bad one changes nothing
    const imported = []
    for (const p of args.positionals) {
      imported.push(await r.importPackage({ path: p, cacheDir, ownersFrom: root }))
      fronts.push(r.readPackageFront(p))
    }
    for (const [i, imp] of imported.entries()) {
      await r.checkoutCached({ from: imp.dir, into: root, copy: flag(args.values["copy"]) })
      lines.push(`${r.nevraOf(fronts[i]!.header)}${imp.cached ? " (cached)" : ""}`)
    }
    r.addToRpmdb({ path: join(root, r.RPMDB_PATHS[0]), packages: fronts })
    return lines.map((l) => `installed ${l}`).join("\n")
  },
}

export const pkgCommands: ReadonlyArray<Command> = [info, contents, verify, unpack, install, ...pkgRepoCommands]
