/** `strata repo remote add|delete|list|show-url|gpg-import` (ostree's ot-remote-builtin-*.c). */
import { readFile } from "node:fs/promises"
import { gpgImport } from "../../src/io/remote/gpg-import.js"
import { addRemote, deleteRemote, getRemote, listRemotes, remoteString } from "../../src/io/remote/remote-config.js"
import { flag, str, strs, type Command, type Options, type Parsed } from "../command.js"
import { positional, repoOption, usage, useRepo } from "./common.js"

const sysrootOption: Options = { sysroot: { type: "string" } }

const context = async (args: Parsed) => ({ repo: await useRepo(args), sysroot: str(args.values.sysroot) })

export const remoteAdd: Command = {
  path: ["repo", "remote", "add"],
  summary: "Add a remote repository",
  usage: "[--no-gpg-verify] [--if-not-exists] [--set=KEY=VALUE]... NAME URL [BRANCH...]",
  options: {
    ...repoOption, ...sysrootOption,
    "no-gpg-verify": { type: "boolean" }, "if-not-exists": { type: "boolean" }, set: { type: "string", multiple: true },
  },
  run: async (args) => {
    const name = positional(args, 0, "remote add", "NAME")
    const url = positional(args, 1, "remote add", "URL")
    const set = strs(args.values.set).map((kv) => {
      const eq = kv.indexOf("=")
      if (eq <= 0) throw usage("remote add", `--set takes KEY=VALUE, got "${kv}"`)
      return [kv.slice(0, eq), kv.slice(eq + 1)] as const
    })
    await addRemote(await context(args), {
      name, url, branches: args.positionals.slice(2), set,
      noGpgVerify: flag(args.values["no-gpg-verify"]), ifNotExists: flag(args.values["if-not-exists"]),
    })
  },
}

export const remoteDelete: Command = {
  path: ["repo", "remote", "delete"],
  summary: "Delete a remote repository",
  usage: "[--if-exists] NAME",
  options: { ...repoOption, ...sysrootOption, "if-exists": { type: "boolean" } },
  run: async (args) => {
    await deleteRemote(await context(args), { name: positional(args, 0, "remote delete", "NAME"), ifExists: flag(args.values["if-exists"]) })
  },
}

export const remoteList: Command = {
  path: ["repo", "remote", "list"],
  summary: "List remote repository names",
  usage: "[-u]",
  options: { ...repoOption, ...sysrootOption, "show-urls": { type: "boolean", short: "u" } },
  run: async (args) => {
    const remotes = await listRemotes(await context(args))
    if (!flag(args.values["show-urls"])) return remotes.map((r) => r.name).join("\n")
    const width = Math.max(0, ...remotes.map((r) => r.name.length))
    return remotes.map((r) => `${r.name.padEnd(width)}  ${remoteString(r, "url") ?? remoteString(r, "metalink") ?? ""}`).join("\n")
  },
}

export const remoteShowUrl: Command = {
  path: ["repo", "remote", "show-url"],
  summary: "Show remote repository URL",
  usage: "NAME",
  options: { ...repoOption, ...sysrootOption },
  run: async (args) => {
    const r = await getRemote(await context(args), positional(args, 0, "remote show-url", "NAME"))
    return remoteString(r, "url") ?? ""
  },
}

export const remoteGpgImport: Command = {
  path: ["repo", "remote", "gpg-import"],
  summary: "Import GPG keys",
  usage: "(--keyring=FILE | --stdin) NAME [KEY-ID...]",
  options: { ...repoOption, ...sysrootOption, keyring: { type: "string", short: "k", multiple: true }, stdin: { type: "boolean" } },
  run: async (args) => {
    const name = positional(args, 0, "remote gpg-import", "NAME")
    const files = strs(args.values.keyring)
    const chunks: Buffer[] = []
    for (const f of files) chunks.push(await readFile(f))
    if (flag(args.values.stdin)) for await (const c of process.stdin) chunks.push(c as Buffer)
    if (chunks.length === 0) throw usage("remote gpg-import", "give the keys with --keyring=FILE or --stdin")
    let n = 0
    for (const c of chunks) n += await gpgImport(await context(args), { remote: name, keys: c, keyIds: args.positionals.slice(1) })
    return `Imported ${n} GPG key${n === 1 ? "" : "s"} to remote "${name}"`
  },
}

export const remoteCommands: ReadonlyArray<Command> = [remoteAdd, remoteDelete, remoteList, remoteShowUrl, remoteGpgImport]
