#!/usr/bin/env node
// Writes dist/cli/manifest.json: for every registered command, its words and the compiled
// module + export that defines it. cli/main.ts uses it to load only the module of the command
// being run (start-up time is measured against `ostree admin status`); without a manifest it
// loads every command.
import { readdirSync, statSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { pathToFileURL } from "node:url"

const cliDir = new URL("../dist/cli/", import.meta.url).pathname
const { commands } = await import(pathToFileURL(join(cliDir, "commands.js")).href)
const walk = (d) => readdirSync(d).flatMap((n) => {
  const p = join(d, n)
  return statSync(p).isDirectory() ? walk(p) : p.endsWith(".js") ? [p] : []
})
const isCommand = (c) => c && Array.isArray(c.path) && typeof c.run === "function"
const modules = []
for (const file of walk(cliDir)) {
  if (/\/(main|commands|manifest)\.js$/.test(file)) continue
  modules.push([file, await import(pathToFileURL(file).href)])
}
// Prefer a module that exports the command itself over one that re-exports a list of them
// (an index module imports every command's implementation).
const where = new Map()
for (const pass of ["single", "list"]) {
  for (const [file, mod] of modules) {
    for (const [name, value] of Object.entries(mod)) {
      if ((pass === "single") === Array.isArray(value)) continue
      const list = Array.isArray(value) ? value : [value]
      list.forEach((c, i) => {
        if (isCommand(c) && !where.has(c)) where.set(c, { module: "./" + relative(cliDir, file), export: name, index: Array.isArray(value) ? i : -1 })
      })
    }
  }
}
const entries = commands.map((c) => {
  const w = where.get(c)
  if (!w) throw new Error(`cli-manifest: command "${c.path.join(" ")}" is not exported by any module under dist/cli`)
  return { path: c.path, ...w }
})
writeFileSync(join(cliDir, "manifest.json"), JSON.stringify(entries) + "\n")
