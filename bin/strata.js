#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` via the prepare script, or `npm run build`).
// `npm run build` also bundles it into dist/bundle/ (scripts/bundle.mjs): per command, two
// CommonJS files instead of dozens of ES modules, compiled with a V8 code cache kept beside them.
// This file is CommonJS (bin/package.json) so that a bundled run never starts Node's ESM loader.
//
// Never stale code: the bundle runs only while its stamp equals the mtime of dist/cli/main.js when
// it was made. tsc rewrites every output, so after a plain `npx tsc -p .` this runs dist/ until
// the next bundle. STRATA_NO_BUNDLE=1 forces dist/.
"use strict"
const { readFileSync, statSync, writeFileSync, renameSync } = require("node:fs")
const { join } = require("node:path")
const { pathToFileURL } = require("node:url")

const dist = join(__dirname, "..", "dist")
const main = join(dist, "cli", "main.js")
let mtime
try {
  mtime = statSync(main).mtimeMs
} catch {
  process.stderr.write("strata: not built yet; run `npm install` (or `npm run build`) in " + join(__dirname, "..") + "\n")
  process.exit(70)
}
const bundle = join(dist, "bundle")
// the stamp: "<mtime of dist/cli/main.js>\n<build id>"
let fresh = false
let build
try {
  const [m, id] = readFileSync(join(bundle, "stamp"), "utf8").split("\n")
  fresh = !process.env.STRATA_NO_BUNDLE && m === String(mtime) && !!id
  build = id
} catch {
  // no bundle: dist/ it is
}

if (!fresh) {
  import(pathToFileURL(main).href).then((m) => m.run())
} else {
  const vm = require("node:vm")
  const { createRequire } = require("node:module")
  const caches = []
  // what the bundles' import.meta.url rewrites resolve against (scripts/bundle.mjs)
  const bundleUrl = pathToFileURL(bundle + "/").href
  /**
   * Runs one bundle file as CommonJS, compiled with its code cache when there is one V8 accepts;
   * otherwise the cache is written at exit, with every function the run compiled. V8 checks a
   * cache against the source's length only, so the cache is named after the bundle's build id: one
   * written by a run of an earlier bundle (rebuilt meanwhile) is never read by a later one.
   */
  const load = (file) => {
    const source = readFileSync(file, "utf8")
    let cachedData
    try {
      cachedData = readFileSync(file + "." + build + ".cache")
    } catch {
      // first run of this bundle, or a read-only install that never wrote one
    }
    // scripts/bundle.mjs turned every import() into require(): no dynamic-import loader needed
    const script = new vm.Script("(function (exports, require, module, __filename, __dirname, __strataBundleUrl) {" + source + "\n})", { filename: file, cachedData })
    if (cachedData === undefined || script.cachedDataRejected) caches.push([file + "." + build + ".cache", script])
    const module = { exports: {} }
    script.runInThisContext()(module.exports, createRequire(file), module, file, bundle, bundleUrl)
    return module.exports
  }
  process.on("exit", () => {
    for (const [cache, script] of caches) {
      try {
        const tmp = cache + "." + process.pid
        writeFileSync(tmp, script.createCachedData())
        renameSync(tmp, cache)
      } catch {
        // not writable: the next run compiles again
      }
    }
  })
  // a command module's bundle: "./repo/commit.js" → repo__commit.cjs (scripts/bundle.mjs names them)
  const command = async (module) => load(join(bundle, module.slice(2, -3).replaceAll("/", "__") + ".cjs"))
  load(join(bundle, "main.cjs")).run(command)
}
