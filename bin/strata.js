#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` via the prepare script, or `npm run build`).
// `npm run build` also bundles it into dist/bundle/ (scripts/bundle.mjs): a few files to load
// instead of dozens of modules. The bundle runs only while its stamp equals the mtime of
// dist/cli/main.js when it was made — tsc rewrites every output, so after a plain `npx tsc -p .`
// this runs dist/ until the next bundle, never stale code. STRATA_NO_BUNDLE=1 forces dist/.
import { readFileSync, statSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { dirname } from "node:path"

const dist = fileURLToPath(new URL("../dist/", import.meta.url))
const main = dist + "cli/main.js"
let mtime
try {
  mtime = statSync(main).mtimeMs
} catch {
  process.stderr.write("strata: not built yet; run `npm install` (or `npm run build`) in " + dirname(dist) + "\n")
  process.exit(70)
}
let entry = main
try {
  if (!process.env.STRATA_NO_BUNDLE && readFileSync(dist + "bundle/stamp", "utf8") === String(mtime)) entry = dist + "bundle/main.js"
} catch {
  // no bundle: dist/ it is
}
await (await import(entry)).run()
