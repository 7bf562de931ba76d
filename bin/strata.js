#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` via the prepare script, or `npm run build`).
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { dirname, join } from "node:path"
const root = dirname(dirname(fileURLToPath(import.meta.url)))
const main = join(root, "dist", "cli", "main.js")
if (!existsSync(main)) {
  process.stderr.write("strata: not built yet; run `npm install` (or `npm run build`) in " + root + "\n")
  process.exit(70)
}
await import(main)
